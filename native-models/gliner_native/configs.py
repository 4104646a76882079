"""Model sizes."""
TINY = dict(encoder_hidden_size=256, encoder_num_layers=4, encoder_num_heads=4, encoder_intermediate_size=1024,
            dropout_encoder=0.1, hidden_size=256, max_width=12, dropout=0.1)
# gliner_medium-v2.1's dimensions (DeBERTa-v3-base backbone, GLiNER head 512)
BENCH = dict(encoder_hidden_size=768, encoder_num_layers=12, encoder_num_heads=12, encoder_intermediate_size=3072,
             dropout_encoder=0.1, hidden_size=512, max_width=12, dropout=0.4, vocab_size=128004)
