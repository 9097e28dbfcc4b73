using LoraDsl.Adapters;
using LoraDsl.Checkpoints;
using LoraDsl.Outputs;
using LoraDsl.Tests.Examples;
using LoraDsl.Tests.TestCheckpoints;
using Xunit;

namespace LoraDsl.Tests.Outputs;

/// <summary>`merge --output` writes only into a new or empty folder, or replaces (with --overwrite) a merged model it wrote.</summary>
[Collection(Training.TorchRandomCollection.Name)]
public class MergeOutputTests
{
    static (string Checkpoint, string Adapter) TinyAdapter()
    {
        var checkpoint = TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("merge-base"));
        var run = TinyCheckpoints.NewFolder("merge-run");
        var adapter = Path.Combine(run, "adapter");
        using var model = ModelLoader.Load(checkpoint);
        var injection = LoraDsl.Lora.LoraInjector.Inject(model, new LoraDsl.Lora.LoraOptions { Rank = 2 }, [new LoraDsl.Lora.LoraTarget("transformer.h.0.attn.c_attn")]);
        AdapterWriter.Save(adapter, model, injection, checkpoint);
        File.WriteAllText(Path.Combine(run, "metrics.jsonl"), "{}\n");
        return (checkpoint, adapter);
    }

    static string[] Snapshot(string folder) =>
        [.. Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Order().Select(f => $"{f}:{new FileInfo(f).Length}")];

    [Fact]
    public void Merge_into_the_run_folder_the_adapter_or_the_base_model_is_refused_and_deletes_nothing()
    {
        var (checkpoint, adapter) = TinyAdapter();
        var run = Path.GetDirectoryName(adapter)!;
        var (runBefore, baseBefore) = (Snapshot(run), Snapshot(checkpoint));
        foreach (var target in new[] { run, adapter, checkpoint })
        {
            var (exit, _, stderr) = CliCapture.Run(["merge", "--adapter", adapter, "--output", target, "--overwrite"]);
            Assert.Equal(1, exit);
            Assert.Contains(Path.GetFullPath(target), stderr);
        }
        Assert.Equal(runBefore, Snapshot(run));
        Assert.Equal(baseBefore, Snapshot(checkpoint));
    }

    [Fact]
    public void A_folder_of_other_files_is_refused_and_an_earlier_merge_is_replaced_only_with_overwrite()
    {
        var (_, adapter) = TinyAdapter();
        var parent = TinyCheckpoints.NewFolder("merge-out");
        var user = Path.Combine(parent, "mine");
        Directory.CreateDirectory(user);
        File.WriteAllText(Path.Combine(user, "notes.txt"), "keep");
        var (exit, _, stderr) = CliCapture.Run(["merge", "--adapter", adapter, "--output", user, "--overwrite"]);
        Assert.Equal(1, exit);
        Assert.Contains("files LoraDsl did not write", stderr);
        Assert.Equal("keep", File.ReadAllText(Path.Combine(user, "notes.txt")));

        var merged = Path.Combine(parent, "merged");
        Assert.Equal(0, CliCapture.Run(["merge", "--adapter", adapter, "--output", merged]).Exit);
        Assert.Equal(OutputKind.MergedModel, OutputMarker.Read(merged));
        (exit, _, stderr) = CliCapture.Run(["merge", "--adapter", adapter, "--output", merged]);
        Assert.Equal(1, exit);
        Assert.Contains("--overwrite", stderr);
        var stamp = File.GetLastWriteTimeUtc(Path.Combine(merged, "model.safetensors"));
        Assert.Equal(0, CliCapture.Run(["merge", "--adapter", adapter, "--output", merged, "--overwrite"]).Exit);
        Assert.True(File.GetLastWriteTimeUtc(Path.Combine(merged, "model.safetensors")) >= stamp);
        Assert.True(File.Exists(Path.Combine(merged, "config.json")));
        Assert.Equal(["mine", "merged"], Directory.GetDirectories(parent).Select(Path.GetFileName).OrderDescending());
    }

    [Fact]
    public void The_working_directory_and_its_parents_are_never_an_output()
    {
        var cwd = Environment.CurrentDirectory;
        foreach (var target in new[] { cwd, Path.GetDirectoryName(cwd)! })
            Assert.Throws<OutputFolderException>(() => MergedModelFolder.Check(target, overwrite: true));
        var fresh = Path.Combine(TinyCheckpoints.NewFolder("merge-new"), "out");
        Assert.Equal(fresh, MergedModelFolder.Check(fresh, overwrite: false));
    }
}
