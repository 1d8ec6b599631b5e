"""Seeing inside a trained model (seeds 001-003): how gradients flow back through time, the
eigenvalues of the recurrent matrices, which units track simple features of the text, and the
training curves. Pure measurements; ``recur.viz`` draws them."""
