using System.Text.Json;
using System.Text.Json.Nodes;
using LoraDsl.Checkpoints;
using static TorchSharp.torch;

namespace ChatTuning;

/// <summary>
/// A tiny random Qwen2-layout checkpoint folder (2 layers, 64 wide, 4 query heads over 2 key/value heads) with a
/// byte-level BPE tokenizer whose added tokens are Qwen's &lt;|endoftext|&gt;, &lt;|im_start|&gt; and &lt;|im_end|&gt;, Qwen2.5's
/// chat template in tokenizer_config.json and Qwen2.5-Instruct's special-token settings. Random weights: it shows the
/// mechanics, not a model.
/// </summary>
public static class TinyQwen
{
    public const int Hidden = 64, Layers = 2, Heads = 4, KeyValueHeads = 2, Intermediate = 128;
    public const string EndOfText = "<|endoftext|>", ImStart = "<|im_start|>", ImEnd = "<|im_end|>";

    // A few merges for frequent English pieces; every other byte is its own token.
    static readonly string[] Merges = ["Ġ t", "h e", "Ġt he", "i n", "a n", "e r", "o n", "Ġ a", "r e", "Ġ o", "Ġo f", "a t", "e d", "Ġ s"];

    /// <summary>Id of the first added token (&lt;|endoftext|&gt;); &lt;|im_start|&gt; and &lt;|im_end|&gt; follow.</summary>
    public static int FirstAddedId => 256 + Merges.Length;

    public static int ImEndId => FirstAddedId + 2;

    /// <summary>Writes the folder's config, tokenizer, template and seeded random weights; returns its full path.</summary>
    public static string Write(string directory, long seed = 1)
    {
        var full = Path.GetFullPath(directory);
        Directory.CreateDirectory(full);
        WriteTokenizer(full);
        var endOfText = FirstAddedId;
        WriteJson(Path.Combine(full, "config.json"), new JsonObject
        {
            ["model_type"] = "qwen2",
            ["architectures"] = new JsonArray("Qwen2ForCausalLM"),
            ["hidden_size"] = Hidden,
            ["intermediate_size"] = Intermediate,
            ["num_hidden_layers"] = Layers,
            ["num_attention_heads"] = Heads,
            ["num_key_value_heads"] = KeyValueHeads,
            ["vocab_size"] = FirstAddedId + 3,
            ["max_position_embeddings"] = 1024,
            ["rms_norm_eps"] = 1e-6,
            ["rope_theta"] = 1000000.0,
            ["hidden_act"] = "silu",
            ["tie_word_embeddings"] = false,
            ["bos_token_id"] = endOfText,
            ["eos_token_id"] = ImEndId,
            ["torch_dtype"] = "float32",
        });
        // As Qwen2.5-Instruct ships it: generation stops on <|im_end|> or <|endoftext|>.
        WriteJson(Path.Combine(full, "generation_config.json"), new JsonObject
        {
            ["bos_token_id"] = endOfText,
            ["eos_token_id"] = new JsonArray(ImEndId, endOfText),
            ["pad_token_id"] = endOfText,
        });
        manual_seed(seed);
        using var model = ModelLoader.Initialize(full, new ModelLoadOptions { Device = "cpu" });
        HfCheckpointWriter.Save(model, full, full);
        return full;
    }

    static void WriteTokenizer(string directory)
    {
        var vocab = new JsonObject();
        var id = 0;
        foreach (var c in ByteToUnicode()) vocab[c.ToString()] = id++;
        foreach (var merge in Merges) vocab[merge.Replace(" ", "")] = id++;
        string[] added = [EndOfText, ImStart, ImEnd];
        foreach (var token in added) vocab[token] = id++;
        WriteJson(Path.Combine(directory, "vocab.json"), vocab);
        File.WriteAllText(Path.Combine(directory, "merges.txt"), "#version: 0.2\n" + string.Join("\n", Merges) + "\n");
        var decoder = new JsonObject();
        for (var i = 0; i < added.Length; i++)
            decoder[(FirstAddedId + i).ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject { ["content"] = added[i], ["special"] = true };
        var template = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "qwen2.5-chat-template.jinja"));
        WriteJson(Path.Combine(directory, "tokenizer_config.json"), new JsonObject
        {
            ["tokenizer_class"] = "Qwen2Tokenizer",
            ["added_tokens_decoder"] = decoder,
            ["bos_token"] = null,
            ["eos_token"] = ImEnd,
            ["pad_token"] = EndOfText,
            ["unk_token"] = null,
            ["model_max_length"] = 1024,
            ["chat_template"] = template,
        });
    }

    /// <summary>GPT-2's table of the 256 bytes to printable characters (printable bytes map to themselves).</summary>
    static char[] ByteToUnicode()
    {
        var table = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            table[b] = printable ? (char)b : (char)next++;
        }
        return table;
    }

    static void WriteJson(string path, JsonNode node)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temp, path, overwrite: true);
    }
}
