"""Is the map right? Localisation, WSOL metrics, faithfulness, sanity checks, shortcuts."""
