using LoraDsl.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Checkpoints;

/// <summary>
/// Saves a model as a Hugging Face folder that transformers, vLLM and TGI load as is: config.json, model.safetensors
/// (sharded with model.safetensors.index.json above the shard size), generation_config.json with the full eos list, and
/// the tokenizer and chat-template files copied from its source folder. Built in a temp folder and renamed, so a crash
/// leaves no half folder.
/// </summary>
public static class HfCheckpointWriter
{
    static readonly string[] TokenizerFiles =
        ["vocab.json", "merges.txt", "vocab.txt", "tokenizer.model", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
            "added_tokens.json", "chat_template.jinja", "chat_template.json"];

    /// <summary>
    /// Writes <paramref name="model"/>'s weights (tied aliases left out, as HF does) and its config
    /// (<see cref="ModelConfig.Raw"/>, which holds what loading changed, e.g. num_labels) into <paramref name="outputDirectory"/>.
    /// </summary>
    public static void Save(PretrainedModel model, string sourceDirectory, string outputDirectory, ScalarType? dtype = null)
    {
        var output = Path.GetFullPath(outputDirectory);
        var parent = Path.GetDirectoryName(output)!;
        Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, $".{Path.GetFileName(output)}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(temp);
        try
        {
            WriteInto(model, sourceDirectory, temp, dtype);
            if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
            Directory.Move(temp, output);
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        }
    }

    /// <summary>Writes the checkpoint files into the existing, empty <paramref name="folder"/> (the caller swaps it into place).</summary>
    public static void WriteInto(PretrainedModel model, string sourceDirectory, string folder, ScalarType? dtype = null) =>
        WriteInto(model, sourceDirectory, folder, dtype, long.MaxValue);

    /// <summary>
    /// As <see cref="WriteInto(PretrainedModel, string, string, ScalarType?)"/>, in shards of at most
    /// <paramref name="maxShardBytes"/> (transformers' max_shard_size; one file when the weights fit).
    /// </summary>
    public static void WriteInto(PretrainedModel model, string sourceDirectory, string folder, ScalarType? dtype, long maxShardBytes)
    {
        // An alias is left out only while it is one: a merge that untied the head (tie_word_embeddings false) saves both.
        var stillTied = model.Config.Raw["tie_word_embeddings"] is not System.Text.Json.Nodes.JsonValue tie || !tie.TryGetValue<bool>(out var tiedFlag) || tiedFlag;
        var tied = stillTied && model is ITiedWeights t ? t.TiedKeys.ToHashSet(StringComparer.Ordinal) : [];
        // 4-bit codes, scales and code books keep their own dtypes whatever dtype is asked for.
        var quantised = Quantization.ModelQuantizer.StateKeys(model);
        using (NewDisposeScope())
        using (no_grad())
        {
            var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var (name, tensor) in model.state_dict())
            {
                if (tied.Contains(name)) continue;
                tensors[name] = dtype is { } d && tensor.is_floating_point() && !quantised.Contains(name) ? tensor.to(d) : tensor;
            }
            SafetensorsShards.Write(folder, tensors, maxShardBytes);
        }
        if (dtype is { } saved) model.Config.Raw["torch_dtype"] = DtypeName(saved);
        File.WriteAllText(Path.Combine(folder, "config.json"), model.Config.Raw.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        GenerationConfigFile.Write(sourceDirectory, model.Config.Raw, folder);
        foreach (var file in TokenizerFiles)
        {
            var source = Path.Combine(sourceDirectory, file);
            if (File.Exists(source)) File.Copy(source, Path.Combine(folder, file));
        }
    }

    /// <summary>transformers' torch_dtype spelling.</summary>
    static string DtypeName(ScalarType dtype) => dtype switch
    {
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float16 => "float16",
        _ => "float32",
    };
}
