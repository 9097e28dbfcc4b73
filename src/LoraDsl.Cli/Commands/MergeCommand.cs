using System.CommandLine;
using LoraDsl.Checkpoints;
using LoraDsl.Lora;
using LoraDsl.Outputs;
using LoraDsl.Quantization;

namespace LoraDsl.Cli.Commands;

/// <summary>
/// `merge --adapter dir [--adapter NAME=DIR --use a,b] --output dir [--dtype fp32|bf16|fp16] [--max-shard-size 5GB] [--into-4bit]`:
/// W + Σ s·BA of the active adapters folded into the base, saved as a Hugging Face folder transformers, vLLM and TGI load
/// as is (shards and index, tokenizer and chat template, generation_config.json). A tied embedding an adapter changed is
/// untied first. A 4-bit base is dequantised and saved dense in --dtype, or with --into-4bit requantised (which rounds;
/// the warning says by how much).
/// </summary>
static class MergeCommand
{
    public static Command Create()
    {
        var adapter = CommonOptions.Adapter();
        var use = CommonOptions.Use();
        adapter.Required = true;
        var model = CommonOptions.Model();
        var output = new Option<string>("--output", "-o") { Description = "Folder for the merged checkpoint: new or empty", Required = true };
        var dtype = CommonOptions.Dtype();
        dtype.Description = "Dtype of the saved weights: fp32 (default), bf16 or fp16; the merge itself runs in fp32";
        var maxShardSize = new Option<string>("--max-shard-size")
        {
            Description = "Largest safetensors shard, as transformers writes it (5GB, 500MB, 100KB, 2GiB); above it the folder gets model-0000i-of-0000n files and model.safetensors.index.json",
            DefaultValueFactory = _ => ShardSize.Default,
        };
        var intoFourBit = new Option<bool>("--into-4bit") { Description = "With a 4-bit base: requantise the merged weights and save a 4-bit folder" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace --output when it holds a merged model an earlier merge wrote (nothing else is replaced)" };
        var device = CommonOptions.Device("cpu");
        var command = new Command("merge", "Merge the active adapters (--use) into their base and save a plain Hugging Face checkpoint")
        {
            adapter, use, model, output, overwrite, dtype, maxShardSize, intoFourBit, device,
        };
        command.SetAction(parsed =>
        {
            // Refuse a bad --output before the loading and merging.
            var inputs = InputsOf(parsed.GetValue(adapter), parsed.GetValue(model));
            MergedModelFolder.Check(parsed.GetValue(output)!, parsed.GetValue(overwrite), inputs);
            var saveDtype = SaveDtype(parsed.GetValue(dtype));
            var shardBytes = ShardSize.Parse(parsed.GetValue(maxShardSize)!);
            using var session = ModelSession.Open(parsed.GetValue(model), parsed.GetValue(adapter), parsed.GetValue(use), parsed.GetValue(device)!);
            var fourBitBase = session.Model.named_modules().Any(m => m.module is Linear4Bit);
            IReadOnlyList<string> merged;
            if (parsed.GetValue(intoFourBit))
            {
                if (!fourBitBase) throw new ArgumentException("--into-4bit needs a 4-bit base model (a folder `quantize` wrote).");
                var report = QuantizedMerge.MergeIntoFourBit(session.Model);
                if (report.Warning is { } warning) Console.Error.WriteLine($"warning: {warning}");
                merged = report.MergedPaths;
            }
            else merged = fourBitBase ? QuantizedMerge.MergeToDense(session.Model, saveDtype) : LoraInjector.MergeAndUnload(session.Model);
            if (session.Model.Config.Raw["tie_word_embeddings"] is System.Text.Json.Nodes.JsonValue tie && tie.TryGetValue<bool>(out var tied) && !tied
                && session.Model is Models.ITiedWeights { TiedKeys.Count: > 0 })
                Console.Error.WriteLine("note: an adapter changed one side of the tied embedding and head; the merged folder unties them (tie_word_embeddings false, both tensors saved).");
            if (session.Labels is { } labels)
            {
                // Hugging Face reads class names from config.json.
                var raw = session.Model.Config.Raw;
                raw["id2label"] = new System.Text.Json.Nodes.JsonObject(labels.Select((l, i) => KeyValuePair.Create(i.ToString(System.Globalization.CultureInfo.InvariantCulture), (System.Text.Json.Nodes.JsonNode?)l)));
                raw["label2id"] = new System.Text.Json.Nodes.JsonObject(labels.Select((l, i) => KeyValuePair.Create(l, (System.Text.Json.Nodes.JsonNode?)i)));
            }
            var target = parsed.GetValue(output)!;
            var written = MergedModelFolder.Write(target, parsed.GetValue(overwrite),
                folder => HfCheckpointWriter.WriteInto(session.Model, session.CheckpointDirectory, folder, saveDtype, shardBytes), [.. inputs, session.CheckpointDirectory]);
            Console.WriteLine($"merged {merged.Count} modules into {written}");
            return 0;
        });
        return command;
    }

    /// <summary>The dtype of the saved weights: fp32, bf16 or fp16 (fp16 only for saving; nothing computes in it here).</summary>
    static TorchSharp.torch.ScalarType SaveDtype(string? name) => name switch
    {
        "fp16" or "float16" => TorchSharp.torch.ScalarType.Float16,
        "fp32" or "float32" or "bf16" or "bfloat16" => CommonOptions.ParseDtype(name),
        _ => throw new ArgumentException($"--dtype: '{name}' is not fp32, bf16 or fp16."),
    };

    /// <summary>The folders this merge reads: every --adapter folder and a --model folder.</summary>
    static string[] InputsOf(IReadOnlyList<string>? adapters, string? model) =>
        [.. AdapterArgument.ParseAll(adapters).Select(a => a.Directory), .. model is not null && Directory.Exists(model) ? [model] : Array.Empty<string>()];
}
