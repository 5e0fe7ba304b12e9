"""Operating a server: `check`, `backup` and `restore`, the settings reference."""
