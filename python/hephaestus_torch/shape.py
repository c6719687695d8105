"""The shape of a Llama model, read from a Hugging Face config.json (no torch needed)."""
from dataclasses import dataclass

from .errors import RunError


@dataclass(frozen=True)
class LlamaShape:
    """The fields of a Hugging Face Llama `config.json` that define the model."""
    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    num_key_value_heads: int
    intermediate_size: int
    max_position_embeddings: int
    rope_theta: float
    rms_norm_eps: float
    tie_word_embeddings: bool

    @staticmethod
    def from_config(config, source='config.json'):
        """Reads a parsed config.json (same defaults as the library: rope_theta 10000, rms_norm_eps 1e-6)."""
        def number(name, default=None, kind=int):
            value = config.get(name, default)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and value != int(value)):
                raise RunError(source, f'field "{name}" must be a{"n integer" if kind is int else " number"}, got {value!r}')
            return kind(value)
        heads = number('num_attention_heads')
        shape = LlamaShape(
            vocab_size=number('vocab_size'), hidden_size=number('hidden_size'),
            num_hidden_layers=number('num_hidden_layers'), num_attention_heads=heads,
            num_key_value_heads=number('num_key_value_heads', heads), intermediate_size=number('intermediate_size'),
            max_position_embeddings=number('max_position_embeddings'),
            rope_theta=number('rope_theta', 10000.0, float), rms_norm_eps=number('rms_norm_eps', 1e-6, float),
            tie_word_embeddings=config.get('tie_word_embeddings', False) is True)
        if shape.hidden_size % heads or (shape.hidden_size // heads) % 2 or heads % shape.num_key_value_heads:
            raise RunError(source, f'fields "hidden_size" {shape.hidden_size}, "num_attention_heads" {heads} and '
                                   f'"num_key_value_heads" {shape.num_key_value_heads} do not give an even head size')
        return shape

    @property
    def head_dim(self):
        return self.hidden_size // self.num_attention_heads
