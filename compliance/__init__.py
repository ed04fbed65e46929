"""The voice-compliance bot: recordings -> decode -> VAD -> transcribe -> normalise -> match -> verdict."""
