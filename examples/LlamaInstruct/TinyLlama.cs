using System.Text.Json;
using System.Text.Json.Nodes;
using LoraDsl.Checkpoints;
using LoraDsl.Tokenization;
using static TorchSharp.torch;

namespace LlamaInstruct;

/// <summary>
/// A tiny random LLaMA checkpoint folder (2 layers, 64 wide, 4 query heads over 2 key/value heads,
/// SentencePiece BPE tokenizer with byte fallback) to try the recipe and the CLI without downloading
/// weights. Its text is noise until trained; it proves the pipeline, not the model.
/// </summary>
public static class TinyLlama
{
    public const int Hidden = 64, Layers = 2, Heads = 4, KeyValueHeads = 2, Intermediate = 128;

    // Frequent words of the instruction data; every prefix becomes a piece so BPE can build them.
    static readonly string[] Words =
    [
        "the", "of", "and", "to", "in", "State", "Union", "address", "delivered", "Who", "Give",
        "opening", "sentence", "this", "Republican", "Democratic", "Senate", "House", "Representatives",
        "Congress", "Response", "Instruction", "Input",
    ];

    /// <summary>The pieces after the 256 byte pieces: printable ASCII characters, then word prefixes ("▁t", "▁th", "▁the").</summary>
    public static IReadOnlyList<(string Piece, float Score)> Pieces()
    {
        var pieces = new List<(string, float)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Add(string piece, float score)
        {
            if (seen.Add(piece)) pieces.Add((piece, score));
        }
        Add("▁", -1000);
        for (var c = '!'; c <= '~'; c++) Add(c.ToString(), -1000 - c);
        foreach (var word in Words)
            for (var length = 2; length <= word.Length + 1; length++)
                Add(("▁" + word)[..length], -length); // shorter prefixes merge first
        return pieces;
    }

    /// <summary>Writes config.json, tokenizer.model and seeded random model.safetensors into <paramref name="directory"/>; returns its full path.</summary>
    public static string Write(string directory, long seed = 1)
    {
        var full = Path.GetFullPath(directory);
        Directory.CreateDirectory(full);
        var pieces = Pieces();
        SentencePieceModelFile.Write(Path.Combine(full, "tokenizer.model"), pieces, byteFallback: true);
        var config = Path.Combine(full, "config.json");
        var temp = config + ".tmp";
        File.WriteAllText(temp, Config(SentencePieceModelFile.FirstPieceId(byteFallback: true) + pieces.Count)
            .ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temp, config, overwrite: true);

        manual_seed(seed);
        using var model = ModelLoader.Initialize(full, new ModelLoadOptions { Device = "cpu" });
        HfCheckpointWriter.Save(model, full, full);
        return full;
    }

    static JsonObject Config(int vocabulary) => new()
    {
        ["model_type"] = "llama",
        ["architectures"] = new JsonArray("LlamaForCausalLM"),
        ["hidden_size"] = Hidden,
        ["intermediate_size"] = Intermediate,
        ["num_hidden_layers"] = Layers,
        ["num_attention_heads"] = Heads,
        ["num_key_value_heads"] = KeyValueHeads,
        ["vocab_size"] = vocabulary,
        ["max_position_embeddings"] = 512,
        ["rms_norm_eps"] = 1e-6,
        ["rope_theta"] = 10000.0,
        ["hidden_act"] = "silu",
        ["tie_word_embeddings"] = false,
        ["bos_token_id"] = SentencePieceModelFile.BeginId,
        ["eos_token_id"] = SentencePieceModelFile.EndId,
        ["torch_dtype"] = "float32",
    };
}
