using LoraDsl.Adapters;
using LoraDsl.Checkpoints;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Tests.Examples;
using LoraDsl.Tests.TestCheckpoints;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Adapters.Combination;

[Collection(Training.TorchRandomCollection.Name)]
public class CombineCommandTests
{
    static string SaveAdapter(string checkpoint, int rank, string target, double std)
    {
        var directory = TinyCheckpoints.NewFolder("combine-in");
        using var model = ModelLoader.Load(checkpoint);
        var injection = LoraInjector.Inject(model, new LoraOptions { Rank = rank, Alpha = 2 * rank }, [new LoraTarget(target)]);
        using (no_grad())
            foreach (var m in injection.Modules) m.Adapter.B.normal_(0, std);
        AdapterWriter.Save(directory, model, injection, checkpoint);
        return directory;
    }

    static Tensor Logits(PretrainedModel model)
    {
        model.eval();
        using var _ = no_grad();
        using var ids = tensor(new long[] { 5, 17, 42, 3 }).unsqueeze(0);
        return model.Forward(new ModelInputs(ids));
    }

    [Fact]
    public void Cat_of_two_adapter_folders_equals_both_adapters_active()
    {
        var checkpoint = TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("combine-gpt2"));
        var attn = SaveAdapter(checkpoint, 2, "transformer.h.0.attn.c_attn", 0.5);
        var mlp = SaveAdapter(checkpoint, 3, "transformer.h.1.mlp.c_fc", 0.5);
        var output = Path.Combine(TinyCheckpoints.NewFolder("combine-out"), "cat");

        var (exit, stdout, stderr) = CliCapture.Run(["combine", "--model", checkpoint, "--adapter", $"attn={attn}", "--adapter", $"mlp={mlp}",
            "--method", "cat", "--weights", "1,1", "--output", output]);
        Assert.True(exit == 0, stderr);
        Assert.Contains("r=5", stdout);

        using var both = ModelLoader.Load(checkpoint);
        AdapterReader.Load(attn, both, "attn");
        AdapterReader.Load(mlp, both, "mlp");
        using var combined = ModelLoader.Load(checkpoint);
        AdapterReader.Load(output, combined);
        Assert.Equal(5, AdapterConfig.Read(Path.Combine(output, AdapterFiles.ConfigFile)).R);
        using var want = Logits(both);
        using var got = Logits(combined);
        using var plainModel = ModelLoader.Load(checkpoint);
        using var plain = Logits(plainModel);
        Assert.False(want.allclose(plain, rtol: 0, atol: 1e-3));
        Assert.True(want.allclose(got, rtol: 0, atol: 1e-5), $"max error {(want - got).abs().max().item<float>()}");
    }

    [Fact]
    public void Bad_combinations_fail_with_one_line()
    {
        var checkpoint = TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("combine-gpt2"));
        var a = SaveAdapter(checkpoint, 2, "transformer.h.0.attn.c_attn", 0.5);
        var b = SaveAdapter(checkpoint, 4, "transformer.h.0.attn.c_attn", 0.5);
        var output = Path.Combine(TinyCheckpoints.NewFolder("combine-out"), "linear");

        var (exit, _, stderr) = CliCapture.Run(["combine", "--model", checkpoint, "--adapter", $"a={a}", "--adapter", $"b={b}", "--method", "linear", "--output", output]);
        Assert.Equal(1, exit);
        Assert.Contains("needs adapters of equal rank", stderr);
        Assert.False(Directory.Exists(output));

        (exit, _, stderr) = CliCapture.Run(["combine", "--adapter", $"a={a}", "--adapter", $"b={b}", "--weights", "1", "--output", output]);
        Assert.Equal(1, exit);
        Assert.Contains("--weights has 1 values for 2 adapters", stderr);

        (exit, _, stderr) = CliCapture.Run(["combine", "--adapter", $"a={a}", "--adapter", $"b={b}", "--method", "ties", "--output", output]);
        Assert.Equal(1, exit);
        Assert.Contains("needs a density", stderr);

        (exit, _, stderr) = CliCapture.Run(["combine", "--adapter", $"a={a}", "--adapter", $"b={b}", "--output", a]);
        Assert.Equal(1, exit);
        Assert.Contains("is not empty", stderr);
    }
}
