using System.CommandLine;
using LoraDsl.Gguf;
using LoraDsl.Lora;
using LoraDsl.Quantization;

namespace LoraDsl.Cli.Commands;

/// <summary>
/// `export-gguf --model DIR [--adapter DIR ...] --output FILE.gguf [--type f32|f16|bf16|q8_0]`: the model with its adapters
/// merged, as a GGUF for llama.cpp / LLamaSharp / Ollama; with --lora-only, the adapter alone as llama.cpp's LoRA GGUF.
/// Either way an Ollama Modelfile is written beside it.
/// </summary>
static class ExportGgufCommand
{
    public static Command Create()
    {
        var adapter = CommonOptions.Adapter();
        var use = CommonOptions.Use();
        var model = CommonOptions.Model();
        var output = new Option<string>("--output", "-o") { Description = "The .gguf file to write (replaced if it exists)", Required = true };
        var type = new Option<string>("--type")
        {
            Description = "Type of the 2-D weights: f32, f16 (default), bf16 or q8_0; norms and biases stay f32",
            DefaultValueFactory = _ => "f16",
        };
        var loraOnly = new Option<bool>("--lora-only") { Description = "Write the adapter alone as llama.cpp's LoRA GGUF (plain LoRA only; DoRA and the like must be merged)" };
        var baseGguf = new Option<string?>("--base-gguf") { Description = "With --lora-only: the base model's GGUF, for the Modelfile's FROM line (default ./base.gguf)" };
        var name = new Option<string?>("--name") { Description = "general.name in the file (default: the output file's name)" };
        var noModelfile = new Option<bool>("--no-modelfile") { Description = "Do not write the Ollama Modelfile beside the GGUF" };
        var command = new Command("export-gguf", "Export the (merged) model, or with --lora-only the adapter, as GGUF for llama.cpp, LLamaSharp and Ollama")
        {
            model, adapter, use, output, type, loraOnly, baseGguf, name, noModelfile,
        };
        command.SetAction(parsed =>
        {
            var tensorType = ParseType(parsed.GetValue(type));
            var adapters = parsed.GetValue(adapter);
            var path = parsed.GetValue(output)!;
            if (!path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)) throw new ArgumentException($"--output '{path}': give a file name ending in .gguf.");
            if (Directory.Exists(path)) throw new ArgumentException($"--output '{path}' is a folder; give a .gguf file name.");
            using var session = ModelSession.Open(parsed.GetValue(model), adapters, parsed.GetValue(use), "cpu");
            GgufExportReport report;
            if (parsed.GetValue(loraOnly))
            {
                if (session.AdapterFolders.Count != 1)
                    throw new ArgumentException("--lora-only: give exactly one --adapter (llama.cpp loads several LoRA GGUFs side by side; export each).");
                report = GgufExporter.ExportLoraAdapter(session.Model, session.AdapterFolders[0].Name, session.CheckpointDirectory, path, tensorType,
                    parsed.GetValue(baseGguf), !parsed.GetValue(noModelfile));
            }
            else
            {
                var merged = session.Model.named_modules().Any(m => m.module is Linear4Bit)
                    ? QuantizedMerge.MergeToDense(session.Model, TorchSharp.torch.ScalarType.Float32)
                    : LoraInjector.MergeAndUnload(session.Model);
                if (merged.Count > 0) Console.WriteLine($"merged {merged.Count} modules");
                report = GgufExporter.ExportModel(session.Model, session.CheckpointDirectory, path, tensorType, parsed.GetValue(name), !parsed.GetValue(noModelfile));
            }
            foreach (var warning in report.Warnings) Console.Error.WriteLine($"warning: {warning}");
            Console.WriteLine($"wrote {report.Path}: {report.TensorCount} tensors, {report.Bytes:N0} bytes ({parsed.GetValue(type)})");
            if (report.ModelfilePath is { } modelfile) Console.WriteLine($"wrote {modelfile}");
            return 0;
        });
        return command;
    }

    static GgufTensorType ParseType(string? name) => name?.ToLowerInvariant() switch
    {
        "f32" or "fp32" => GgufTensorType.F32,
        "f16" or "fp16" => GgufTensorType.F16,
        "bf16" => GgufTensorType.BF16,
        "q8_0" => GgufTensorType.Q8_0,
        _ => throw new ArgumentException($"--type: '{name}' is not f32, f16, bf16 or q8_0."),
    };
}
