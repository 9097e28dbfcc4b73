using LoraDsl.Adapters;
using LoraDsl.Checkpoints;
using LoraDsl.Lora;
using LoraDsl.Tests.Examples;
using LoraDsl.Tests.TestCheckpoints;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Adapters;

/// <summary>`--adapter NAME=DIR` (repeatable) and `--use` on logits, merge, inspect and generate, over a tiny GPT-2 folder.</summary>
public class MultiAdapterCliTests
{
    const string Ids = "5,17,42,3";

    static string Adapter(string checkpoint, LoraOptions options, string target, double spread)
    {
        var directory = TinyCheckpoints.NewFolder("cli-adapter");
        using var model = ModelLoader.Load(checkpoint);
        var injection = LoraInjector.Inject(model, options, [new LoraTarget(target)]);
        using (no_grad())
            foreach (var m in injection.Modules) m.Adapter.B.normal_(0, spread);
        AdapterWriter.Save(directory, model, injection, checkpoint);
        return directory;
    }

    static float[] Logits(params string[] args)
    {
        var (exit, stdout, stderr) = CliCapture.Run(["logits", "--ids", Ids, .. args]);
        Assert.True(exit == 0, stderr);
        return CliCapture.Logits(stdout);
    }

    static double MaxDiff(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        return a.Zip(b).Max(p => Math.Abs(p.First - p.Second));
    }

    [Fact]
    public void Logits_merge_inspect_and_generate_take_named_adapters_and_use()
    {
        var checkpoint = TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("cli-gpt2"));
        var a = Adapter(checkpoint, new LoraOptions { Rank = 4, Alpha = 8 }, "transformer.h.0.attn.c_attn", 0.5);
        var b = Adapter(checkpoint, new LoraOptions { Rank = 2, Alpha = 4 }, "transformer.h.1.mlp.c_fc", 0.5);
        string[] both = ["--adapter", $"a={a}", "--adapter", $"b={b}"];

        var onlyA = Logits("--adapter", a);
        var onlyB = Logits("--adapter", b);
        var baseModel = Logits("--model", checkpoint);
        Assert.True(MaxDiff(onlyA, baseModel) > 1e-3 && MaxDiff(onlyB, baseModel) > 1e-3, "each adapter changes the logits");

        Assert.True(MaxDiff(Logits(both), onlyA) < 1e-5, "without --use the first adapter is active");
        Assert.True(MaxDiff(Logits([.. both, "--use", "b"]), onlyB) < 1e-5, "--use b");
        Assert.True(MaxDiff(Logits([.. both, "--use", "base"]), baseModel) < 1e-6, "--use base");

        var merged = Path.Combine(TinyCheckpoints.NewFolder("cli-merged"), "merged");
        var (mergeExit, _, mergeErr) = CliCapture.Run(["merge", .. both, "--use", "a,b", "--output", merged]);
        Assert.True(mergeExit == 0, mergeErr);
        var sum = Logits([.. both, "--use", "a,b"]);
        Assert.True(MaxDiff(sum, Logits("--model", merged)) < 1e-4, "a + b unmerged = a + b merged into the weights");
        Assert.True(MaxDiff(sum, onlyA) > 1e-3 && MaxDiff(sum, onlyB) > 1e-3);

        var (inspectExit, inspect, _) = CliCapture.Run(["inspect", .. both, "--use", "a,b"]);
        Assert.Equal(0, inspectExit);
        Assert.Contains("adapters (2; active: a, b)", inspect);
        Assert.Matches(@"a \(active\): lora r=4 alpha=8, 1 modules, \d+ parameters", inspect);
        Assert.Matches(@"b \(active\): lora r=2 alpha=4, 1 modules, \d+ parameters", inspect);
        Assert.Contains("targets: transformer.h.{layer}.mlp.c_fc", inspect);

        var (genExit, _, genErr) = CliCapture.Run(["generate", .. both, "--use", "a,b", "--device", "cpu", "--prompt", "ab", "--max-new-tokens", "3"]);
        Assert.True(genExit == 0, genErr);
    }

    [Fact]
    public void Bad_adapter_arguments_are_one_clear_error()
    {
        var checkpoint = TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("cli-gpt2"));
        var a = Adapter(checkpoint, new LoraOptions { Rank = 2, Alpha = 4 }, "transformer.h.0.attn.c_attn", 0.1);

        var (exit, _, stderr) = CliCapture.Run(["logits", "--ids", Ids, "--adapter", $"a={a}", "--use", "zz"]);
        Assert.Equal(1, exit);
        Assert.Contains("no adapter named 'zz'", stderr);

        (exit, _, stderr) = CliCapture.Run(["logits", "--ids", Ids, "--adapter", a, "--adapter", a]);
        Assert.Equal(1, exit);
        Assert.Contains("give each a name", stderr);

        (exit, _, stderr) = CliCapture.Run(["logits", "--ids", Ids, "--adapter", $"a={a}", "--use", "a,base"]);
        Assert.Equal(1, exit);
        Assert.Contains("'base'", stderr);
    }
}
