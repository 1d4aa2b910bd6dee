"""Commands (2.1.1 mod_commands.md, 2.2.1 mod_commands.asciidoc): CPO receiver, eMSP sender."""
