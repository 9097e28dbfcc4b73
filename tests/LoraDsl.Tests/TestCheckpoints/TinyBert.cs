using System.Text.Json.Nodes;
using LoraDsl.Checkpoints;
using static TorchSharp.torch;

namespace LoraDsl.Tests.TestCheckpoints;

/// <summary>Writes a small random BERT checkpoint in the Hugging Face folder layout (config.json + model.safetensors).</summary>
public static class TinyBert
{
    public const int Vocab = 40, Hidden = 32, Layers = 2, Heads = 4, Intermediate = 48, Positions = 24, Types = 2;

    public static JsonObject Config(int numLabels = 3) => new()
    {
        ["architectures"] = new JsonArray("BertForSequenceClassification"),
        ["model_type"] = "bert",
        ["vocab_size"] = Vocab,
        ["hidden_size"] = Hidden,
        ["num_hidden_layers"] = Layers,
        ["num_attention_heads"] = Heads,
        ["intermediate_size"] = Intermediate,
        ["hidden_act"] = "gelu",
        ["max_position_embeddings"] = Positions,
        ["type_vocab_size"] = Types,
        ["layer_norm_eps"] = 1e-12,
        ["hidden_dropout_prob"] = 0.1,
        ["attention_probs_dropout_prob"] = 0.1,
        ["num_labels"] = numLabels,
    };

    /// <summary>
    /// Random weights under Hugging Face names (with the <c>bert.</c> prefix when
    /// <paramref name="bertPrefix"/>); LayerNorm weights near 1 so that a wrong norm shows.
    /// </summary>
    public static Dictionary<string, Tensor> StateDict(int seed, bool bertPrefix = true, int numLabels = 3)
    {
        var generator = new Generator((ulong)seed);
        var prefix = bertPrefix ? "bert." : "";
        var sd = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        void Add(string name, params long[] shape) => sd[name] = randn(shape, generator: generator) * 0.3;
        void Norm(string name)
        {
            sd[name + ".weight"] = 1 + randn([Hidden], generator: generator) * 0.1;
            sd[name + ".bias"] = randn([Hidden], generator: generator) * 0.1;
        }
        void Linear(string name, long inputs, long outputs)
        {
            Add(name + ".weight", outputs, inputs);
            Add(name + ".bias", outputs);
        }
        Add(prefix + "embeddings.word_embeddings.weight", Vocab, Hidden);
        Add(prefix + "embeddings.position_embeddings.weight", Positions, Hidden);
        Add(prefix + "embeddings.token_type_embeddings.weight", Types, Hidden);
        Norm(prefix + "embeddings.LayerNorm");
        for (var i = 0; i < Layers; i++)
        {
            var layer = $"{prefix}encoder.layer.{i}.";
            Linear(layer + "attention.self.query", Hidden, Hidden);
            Linear(layer + "attention.self.key", Hidden, Hidden);
            Linear(layer + "attention.self.value", Hidden, Hidden);
            Linear(layer + "attention.output.dense", Hidden, Hidden);
            Norm(layer + "attention.output.LayerNorm");
            Linear(layer + "intermediate.dense", Hidden, Intermediate);
            Linear(layer + "output.dense", Intermediate, Hidden);
            Norm(layer + "output.LayerNorm");
        }
        Linear(prefix + "pooler.dense", Hidden, Hidden);
        if (bertPrefix) Linear("classifier", Hidden, numLabels);
        return sd;
    }

    /// <summary>Writes config.json and model.safetensors into <paramref name="directory"/>; returns the weights written.</summary>
    public static Dictionary<string, Tensor> Write(string directory, int seed, bool bertPrefix = true, int numLabels = 3)
    {
        Directory.CreateDirectory(directory);
        var sd = StateDict(seed, bertPrefix, numLabels);
        SafetensorsWriter.Write(Path.Combine(directory, "model.safetensors"), sd);
        File.WriteAllText(Path.Combine(directory, "config.json"), Config(numLabels).ToJsonString());
        return sd;
    }
}
