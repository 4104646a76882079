"""Small GLiNER (span mode, markerV0) look-alike: data, tokenizer, model, training, export, eval."""
