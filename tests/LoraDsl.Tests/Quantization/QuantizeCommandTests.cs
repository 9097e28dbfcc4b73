using System.Text.Json.Nodes;
using LoraDsl.Adapters;
using LoraDsl.Checkpoints;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Tests.Examples;
using LoraDsl.Tests.TestCheckpoints;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Quantization;

public class QuantizeCommandTests
{
    [Fact]
    public void Quantize_writes_a_4_bit_folder_that_logits_reads_in_fp32_and_bf16()
    {
        var source = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("qlora-cli"));
        var output = Path.Combine(TinyCheckpoints.NewFolder("qlora-cli-out"), "nf4");
        var (exit, stdout, stderr) = CliCapture.Run(["quantize", "--model", source, "--output", output, "--blocksize", "32", "--skip", "down_proj"]);
        Assert.True(exit == 0, stderr);
        Assert.Contains("quantised 12 layers", stdout);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "config.json")))!["quantization_config"]!;
        Assert.Contains("down_proj", config["llm_int8_skip_modules"]!.AsArray().Select(n => (string)n!));
        Assert.True(File.Exists(Path.Combine(output, "vocab.json")));

        // The library reading the folder in fp32 gives the CLI's fp32 logits; bf16 compute stays close.
        using var ids = tensor(new long[] { 5, 17, 42 }).unsqueeze(0);
        float[] expected;
        using (no_grad())
        using (var model = ModelLoader.Load(output))
        using (var logits = model.Forward(new ModelInputs(ids)))
            expected = logits.reshape(-1).data<float>().ToArray();

        var fp32 = CliCapture.Run(["logits", "--model", output, "--ids", "5,17,42", "--dtype", "fp32"]);
        Assert.True(fp32.Exit == 0, fp32.Stderr);
        Assert.Equal(expected, CliCapture.Logits(fp32.Stdout));
        var bf16 = CliCapture.Run(["logits", "--model", output, "--ids", "5,17,42", "--dtype", "bf16"]);
        Assert.True(bf16.Exit == 0, bf16.Stderr);
        var rough = CliCapture.Logits(bf16.Stdout);
        Assert.Equal(expected.Length, rough.Length);
        Assert.True(expected.Zip(rough).Max(p => Math.Abs(p.First - p.Second)) < 0.1);

        var again = CliCapture.Run(["quantize", "--model", source, "--output", output]);
        Assert.Equal(1, again.Exit);
        Assert.Contains("not an empty folder", again.Stderr);
        var twice = CliCapture.Run(["quantize", "--model", output, "--output", output + "-again"]);
        Assert.Equal(1, twice.Exit);
        Assert.Contains("already quantised", twice.Stderr);
    }

    [Fact]
    public void Merge_over_a_4_bit_base_saves_a_dense_bf16_folder_or_a_4_bit_one_with_a_warning()
    {
        var source = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("qlora-cli-merge"));
        var fourBit = Path.Combine(TinyCheckpoints.NewFolder("qlora-cli-merge"), "nf4");
        Assert.Equal(0, CliCapture.Run(["quantize", "--model", source, "--output", fourBit]).Exit);
        var adapterFolder = TinyCheckpoints.NewFolder("qlora-cli-adapter");
        using (var model = ModelLoader.Load(fourBit))
        {
            var injection = LoraInjector.Inject(model, new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0 }, [new LoraTarget("model.layers.0.self_attn.q_proj")]);
            LoraDsl.Tests.Lora.LoraLinearTests.Randomize(injection.Modules[0].Adapter, 30);
            AdapterWriter.Save(adapterFolder, model, injection, fourBit);
        }

        var dense = Path.Combine(TinyCheckpoints.NewFolder("qlora-cli-merged"), "bf16");
        var toDense = CliCapture.Run(["merge", "--adapter", adapterFolder, "--model", fourBit, "--output", dense, "--dtype", "bf16"]);
        Assert.True(toDense.Exit == 0, toDense.Stderr);
        Assert.Null(JsonNode.Parse(File.ReadAllText(Path.Combine(dense, "config.json")))!["quantization_config"]);
        var file = SafetensorsFile.Open(Path.Combine(dense, "model.safetensors"));
        Assert.Equal(ScalarType.BFloat16, file.Info("model.layers.0.self_attn.q_proj.weight").Dtype);
        Assert.Equal(new long[] { 64, 32 }, file.Info("model.layers.1.mlp.up_proj.weight").Shape);

        var requantised = Path.Combine(TinyCheckpoints.NewFolder("qlora-cli-merged"), "nf4");
        var toFourBit = CliCapture.Run(["merge", "--adapter", adapterFolder, "--model", fourBit, "--output", requantised, "--into-4bit"]);
        Assert.True(toFourBit.Exit == 0, toFourBit.Stderr);
        Assert.Contains("warning: merging into 4-bit weights requantised 1 layer(s)", toFourBit.Stderr);
        Assert.NotNull(JsonNode.Parse(File.ReadAllText(Path.Combine(requantised, "config.json")))!["quantization_config"]);
        var intoDense = CliCapture.Run(["merge", "--adapter", adapterFolder, "--model", source, "--output", requantised + "-x", "--into-4bit"]);
        Assert.Equal(1, intoDense.Exit);
        Assert.Contains("--into-4bit needs a 4-bit base", intoDense.Stderr);
    }
}
