"""Hub client info (2.2.1 mod_hub_client_info.asciidoc): the parties behind a hub."""
