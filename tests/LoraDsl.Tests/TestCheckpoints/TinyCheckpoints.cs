using System.Text.Json;
using System.Text.Json.Nodes;
using LoraDsl.Checkpoints;
using static TorchSharp.torch;

namespace LoraDsl.Tests.TestCheckpoints;

/// <summary>
/// Writes tiny random Hugging Face folders (config.json, weights, byte-level BPE tokenizer files)
/// for tests of loading, training and generation.
/// </summary>
public static class TinyCheckpoints
{
    /// <summary>256 byte tokens, the merges of <see cref="Merges"/>, and &lt;|endoftext|&gt;.</summary>
    public static int ByteLevelVocabSize => 256 + Merges.Length + 1;

    public const string EndOfText = "<|endoftext|>";

    static readonly string[] Merges = ["Ġ t", "h e", "Ġt he", "l l", "e ll", "Ġ w", "o r", "Ġw or", "Ġwor l", "Ġworl d"];

    /// <summary>A fresh empty folder under the temp directory.</summary>
    public static string NewFolder(string label) => Directory.CreateTempSubdirectory($"loradsl-{label}-").FullName;

    /// <summary>The weights <see cref="WriteLlama"/> stores, with HF names (prefix "model.", lm_head unless tied).</summary>
    public static Dictionary<string, Tensor> LlamaTensors(TinyLlamaSpec spec)
    {
        var g = new Generator((ulong)spec.Seed);
        var headDim = spec.Hidden / spec.Heads;
        var qkvBias = spec.ModelType == "qwen2";
        var t = new Dictionary<string, Tensor> { ["model.embed_tokens.weight"] = Random(g, spec.Vocab, spec.Hidden) };
        for (var i = 0; i < spec.Layers; i++)
        {
            var p = $"model.layers.{i}.";
            t[p + "input_layernorm.weight"] = Norm(g, spec.Hidden);
            t[p + "post_attention_layernorm.weight"] = Norm(g, spec.Hidden);
            t[p + "self_attn.q_proj.weight"] = Random(g, spec.Heads * headDim, spec.Hidden);
            t[p + "self_attn.k_proj.weight"] = Random(g, spec.KvHeads * headDim, spec.Hidden);
            t[p + "self_attn.v_proj.weight"] = Random(g, spec.KvHeads * headDim, spec.Hidden);
            t[p + "self_attn.o_proj.weight"] = Random(g, spec.Hidden, spec.Heads * headDim);
            if (qkvBias)
            {
                t[p + "self_attn.q_proj.bias"] = Random(g, spec.Heads * headDim);
                t[p + "self_attn.k_proj.bias"] = Random(g, spec.KvHeads * headDim);
                t[p + "self_attn.v_proj.bias"] = Random(g, spec.KvHeads * headDim);
            }
            t[p + "mlp.gate_proj.weight"] = Random(g, spec.Intermediate, spec.Hidden);
            t[p + "mlp.up_proj.weight"] = Random(g, spec.Intermediate, spec.Hidden);
            t[p + "mlp.down_proj.weight"] = Random(g, spec.Hidden, spec.Intermediate);
        }
        t["model.norm.weight"] = Norm(g, spec.Hidden);
        if (!spec.TieWordEmbeddings) t["lm_head.weight"] = Random(g, spec.Vocab, spec.Hidden);
        return t;
    }

    public static JsonObject LlamaConfig(TinyLlamaSpec spec)
    {
        var config = new JsonObject
        {
            ["model_type"] = spec.ModelType,
            ["architectures"] = new JsonArray(spec.ModelType == "qwen2" ? "Qwen2ForCausalLM" : spec.ModelType == "mistral" ? "MistralForCausalLM" : "LlamaForCausalLM"),
            ["hidden_size"] = spec.Hidden,
            ["intermediate_size"] = spec.Intermediate,
            ["num_hidden_layers"] = spec.Layers,
            ["num_attention_heads"] = spec.Heads,
            ["num_key_value_heads"] = spec.KvHeads,
            ["vocab_size"] = spec.Vocab,
            ["rms_norm_eps"] = 1e-6,
            ["rope_theta"] = spec.RopeTheta,
            ["max_position_embeddings"] = 128,
            ["hidden_act"] = "silu",
            ["tie_word_embeddings"] = spec.TieWordEmbeddings,
            ["bos_token_id"] = ByteLevelVocabSize - 1,
            ["eos_token_id"] = ByteLevelVocabSize - 1,
            ["torch_dtype"] = spec.StoredDtype == ScalarType.BFloat16 ? "bfloat16" : "float32",
        };
        if (spec.SlidingWindow is { } w)
        {
            config["sliding_window"] = w;
            if (spec.ModelType == "qwen2") config["use_sliding_window"] = true;
        }
        return config;
    }

    /// <summary>Writes a LLaMA-family folder; returns <paramref name="directory"/>.</summary>
    public static string WriteLlama(string directory, TinyLlamaSpec? spec = null)
    {
        spec ??= new TinyLlamaSpec();
        var tensors = LlamaTensors(spec);
        if (spec.WithoutPrefix)
            tensors = tensors.ToDictionary(kv => kv.Key.StartsWith("model.", StringComparison.Ordinal) ? kv.Key["model.".Length..] : kv.Key, kv => kv.Value);
        WriteFolder(directory, LlamaConfig(spec), tensors, spec.StoredDtype, spec.Sharded);
        if (spec.SentencePieceTokenizer) SentencePieceModelWriter.Write(Path.Combine(directory, "tokenizer.model"));
        return directory;
    }

    /// <summary>The weights <see cref="WriteGpt2"/> stores, with full model names ("transformer.h.0.attn.c_attn.weight").</summary>
    public static Dictionary<string, Tensor> Gpt2Tensors(TinyGpt2Spec spec)
    {
        var g = new Generator((ulong)spec.Seed);
        var d = spec.Hidden;
        var t = new Dictionary<string, Tensor>
        {
            ["transformer.wte.weight"] = Random(g, spec.Vocab, d),
            ["transformer.wpe.weight"] = Random(g, spec.Positions, d),
        };
        for (var i = 0; i < spec.Layers; i++)
        {
            var p = $"transformer.h.{i}.";
            t[p + "ln_1.weight"] = Norm(g, d);
            t[p + "ln_1.bias"] = Random(g, d);
            t[p + "attn.c_attn.weight"] = Random(g, d, 3 * d);
            t[p + "attn.c_attn.bias"] = Random(g, 3 * d);
            t[p + "attn.c_proj.weight"] = Random(g, d, d);
            t[p + "attn.c_proj.bias"] = Random(g, d);
            t[p + "ln_2.weight"] = Norm(g, d);
            t[p + "ln_2.bias"] = Random(g, d);
            t[p + "mlp.c_fc.weight"] = Random(g, d, 4 * d);
            t[p + "mlp.c_fc.bias"] = Random(g, 4 * d);
            t[p + "mlp.c_proj.weight"] = Random(g, 4 * d, d);
            t[p + "mlp.c_proj.bias"] = Random(g, d);
        }
        t["transformer.ln_f.weight"] = Norm(g, d);
        t["transformer.ln_f.bias"] = Random(g, d);
        return t;
    }

    public static JsonObject Gpt2Config(TinyGpt2Spec spec) => new()
    {
        ["model_type"] = "gpt2",
        ["architectures"] = new JsonArray("GPT2LMHeadModel"),
        ["n_embd"] = spec.Hidden,
        ["n_layer"] = spec.Layers,
        ["n_head"] = spec.Heads,
        ["n_positions"] = spec.Positions,
        ["n_ctx"] = spec.Positions,
        ["vocab_size"] = spec.Vocab,
        ["activation_function"] = "gelu_new",
        ["layer_norm_epsilon"] = 1e-5,
        ["bos_token_id"] = ByteLevelVocabSize - 1,
        ["eos_token_id"] = ByteLevelVocabSize - 1,
    };

    /// <summary>Writes a GPT-2 folder; returns <paramref name="directory"/>.</summary>
    public static string WriteGpt2(string directory, TinyGpt2Spec? spec = null)
    {
        spec ??= new TinyGpt2Spec();
        var tensors = Gpt2Tensors(spec);
        if (spec.LikeHubGpt2)
        {
            tensors = tensors.ToDictionary(kv => kv.Key["transformer.".Length..], kv => kv.Value);
            for (var i = 0; i < spec.Layers; i++)
            {
                tensors[$"h.{i}.attn.bias"] = ones(1, 1, spec.Positions, spec.Positions).tril();
                tensors[$"h.{i}.attn.masked_bias"] = tensor(-1e4f);
            }
        }
        else
        {
            tensors["lm_head.weight"] = tensors["transformer.wte.weight"].clone();
        }
        WriteFolder(directory, Gpt2Config(spec), tensors, spec.StoredDtype, sharded: false);
        return directory;
    }

    /// <summary>Writes vocab.json and merges.txt of a byte-level BPE (GPT-2 / Qwen2 style) tokenizer.</summary>
    public static void WriteByteLevelTokenizer(string directory)
    {
        var byteChars = ByteToUnicode();
        var vocab = new JsonObject();
        var id = 0;
        foreach (var c in byteChars) vocab[c.ToString()] = id++;
        foreach (var merge in Merges) vocab[merge.Replace(" ", "")] = id++;
        vocab[EndOfText] = id;
        File.WriteAllText(Path.Combine(directory, "vocab.json"), vocab.ToJsonString());
        File.WriteAllText(Path.Combine(directory, "merges.txt"), "#version: 0.2\n" + string.Join("\n", Merges) + "\n");
        File.WriteAllText(Path.Combine(directory, "tokenizer_config.json"), new JsonObject
        {
            ["bos_token"] = EndOfText,
            ["eos_token"] = EndOfText,
            ["unk_token"] = EndOfText,
        }.ToJsonString());
    }

    /// <summary>GPT-2's table of the 256 bytes to printable characters (printable bytes map to themselves).</summary>
    public static char[] ByteToUnicode()
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

    /// <summary>Writes config.json, fp32 model.safetensors and the byte-level tokenizer; returns <paramref name="directory"/>.</summary>
    public static string WriteFolder(string directory, JsonObject config, Dictionary<string, Tensor> tensors)
    {
        WriteFolder(directory, config, tensors, ScalarType.Float32, sharded: false);
        return directory;
    }

    static void WriteFolder(string directory, JsonObject config, Dictionary<string, Tensor> tensors, ScalarType dtype, bool sharded)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "config.json"), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        var stored = tensors.ToDictionary(kv => kv.Key, kv => kv.Value.is_floating_point() && kv.Value.dtype != dtype ? kv.Value.to(dtype) : kv.Value);
        var metadata = new Dictionary<string, string> { ["format"] = "pt" };
        if (!sharded)
        {
            SafetensorsWriter.Write(Path.Combine(directory, "model.safetensors"), stored, metadata);
        }
        else
        {
            var names = stored.Keys.Order(StringComparer.Ordinal).ToList();
            var shards = new[] { names.Take(names.Count / 2).ToList(), names.Skip(names.Count / 2).ToList() };
            var map = new JsonObject();
            for (var s = 0; s < shards.Length; s++)
            {
                var file = $"model-{s + 1:D5}-of-{shards.Length:D5}.safetensors";
                SafetensorsWriter.Write(Path.Combine(directory, file), shards[s].ToDictionary(n => n, n => stored[n]), metadata);
                foreach (var n in shards[s]) map[n] = file;
            }
            File.WriteAllText(Path.Combine(directory, "model.safetensors.index.json"),
                new JsonObject { ["metadata"] = new JsonObject(), ["weight_map"] = map }.ToJsonString());
        }
        WriteByteLevelTokenizer(directory);
    }

    static Tensor Random(Generator g, params long[] shape) => randn(shape, generator: g) * 0.2f;

    static Tensor Norm(Generator g, long size) => randn([size], generator: g) * 0.1f + 1f;
}
