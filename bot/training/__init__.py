"""Training the judgment model (needs the train extra; inference never imports this)."""
