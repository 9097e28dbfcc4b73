using TorchSharp.Modules;

namespace LoraDsl.Models;

/// <summary>A model whose token ids go through one embedding table first (transformers' get_input_embeddings).</summary>
internal interface IInputEmbeddings
{
    /// <summary>The token embedding (GPT-2 wte, LLaMA embed_tokens, BERT word_embeddings); position embeddings are not part of it.</summary>
    Embedding InputEmbeddings { get; }
}
