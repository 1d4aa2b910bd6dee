"""Charging profiles (2.2.1 mod_charging_profiles.asciidoc): CPO receiver, eMSP/SCSP sender."""
