using System.CommandLine;
using LoraDsl.Checkpoints;
using LoraDsl.Quantization;

namespace LoraDsl.Cli.Commands;

/// <summary>
/// `quantize --model dir --output dir`: a 4-bit folder as transformers + bitsandbytes save one (NF4 with double
/// quantisation by default), which every --model option then accepts.
/// </summary>
static class QuantizeCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        model.Required = true;
        var output = new Option<string>("--output", "-o") { Description = "New (or empty) folder for the 4-bit checkpoint", Required = true };
        var noDoubleQuant = new Option<bool>("--no-double-quant") { Description = "Keep one fp32 absmax per block (0.5 instead of about 0.127 bits per weight)" };
        var blockSize = new Option<int>("--blocksize") { Description = "Weights per absmax block (32, 64, ... 4096)", DefaultValueFactory = _ => 64 };
        var skip = new Option<string[]>("--skip") { Description = "Module name or path to keep dense (repeatable); output heads always stay dense" };
        var type = new Option<string>("--quant-type") { Description = "nf4 (default) or fp4", DefaultValueFactory = _ => "nf4" };
        var dtype = CommonOptions.Dtype("bf16");
        dtype.Description = "Compute dtype recorded for the 4-bit layers, and the dtype the dense layers are saved in: bf16 (default) or fp32";
        var device = CommonOptions.Device("cpu");
        var command = new Command("quantize", "Save a model with its linear layers in 4 bits (bitsandbytes NF4/FP4 format)")
        {
            model, output, noDoubleQuant, blockSize, skip, type, dtype, device,
        };
        command.SetAction(parsed =>
        {
            var target = Path.GetFullPath(parsed.GetValue(output)!);
            // A quantize killed mid-write left its temp folder beside the output.
            Training.AtomicFile.CleanLeftoversBeside(target);
            if (File.Exists(target) || (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any()))
                throw new ArgumentException($"--output '{target}' exists and is not an empty folder; give a new folder.");
            var computeDtype = CommonOptions.ParseDtype(parsed.GetValue(dtype));
            var options = new QuantizationOptions
            {
                DataType = parsed.GetValue(type) switch
                {
                    "nf4" => FourBitDataType.Nf4,
                    "fp4" => FourBitDataType.Fp4,
                    var other => throw new ArgumentException($"--quant-type: '{other}' is not nf4 or fp4."),
                },
                DoubleQuant = !parsed.GetValue(noDoubleQuant),
                BlockSize = parsed.GetValue(blockSize),
                ComputeDtype = computeDtype,
                SkipModules = parsed.GetValue(skip) ?? [],
            };
            options.Validate();
            using var session = ModelSession.Open(parsed.GetValue(model), adapters: null, use: null, parsed.GetValue(device)!, computeDtype, options);
            if (HfCheckpoint.Open(session.CheckpointDirectory).Config.ContainsKey("quantization_config"))
                throw new ArgumentException($"'{session.CheckpointDirectory}' is already quantised (its config.json has quantization_config).");
            var layers = session.Model.named_modules().Where(m => m.module is Linear4Bit).Select(m => (Linear4Bit)m.module).ToList();
            if (layers.Count == 0)
                throw new ArgumentException($"'{session.CheckpointDirectory}' has no linear layer left to quantise (already 4-bit, or all skipped).");
            HfCheckpointWriter.Save(session.Model, session.CheckpointDirectory, target);
            var weights = layers.Sum(l => l.InFeatures * l.OutFeatures);
            var bytes = layers.Sum(l => l.WeightBytes);
            Console.WriteLine(
                $"quantised {layers.Count} layers ({weights:N0} weights) to {FourBitCodeBookName(options)}{(options.DoubleQuant ? " + double quant" : "")}, " +
                $"block {options.BlockSize}: {bytes:N0} bytes, {8.0 * bytes / weights:F3} bits per weight; saved {target}");
            return 0;
        });
        return command;
    }

    static string FourBitCodeBookName(QuantizationOptions options) => options.DataType == FourBitDataType.Nf4 ? "NF4" : "FP4";
}
