using LoraDsl.Adapters;
using LoraDsl.Checkpoints;
using LoraDsl.Data;
using LoraDsl.Lora;
using LoraDsl.Tests.Data;
using LoraDsl.Tests.TestCheckpoints;
using LoraDsl.Tests.Training;
using LoraDsl.Tokenization;
using LoraDsl.Training;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Fuzzing;

/// <summary>
/// Seeded, bounded fuzzing of every file the runtime reads: each mutated file ends in success or in the
/// library's own exception naming the file; never a native abort or an unrelated exception.
/// </summary>
[Collection(TorchRandomCollection.Name)]
public class FileFuzzTests
{
    /// <summary>Runs <paramref name="cases"/> mutations; a case fails when it throws anything but an allowed type whose message names <paramref name="where"/>.</summary>
    static void Fuzz(int cases, Action<Mutator, int> mutate, Action run, string where, params Type[] allowed)
    {
        var failures = new List<string>();
        for (var i = 0; i < cases; i++)
        {
            var mutator = new Mutator(1000 + i);
            mutate(mutator, i);
            try
            {
                run();
            }
            catch (Exception e) when (allowed.Contains(e.GetType()) && e.Message.Contains(where, StringComparison.Ordinal))
            {
            }
            catch (Exception e)
            {
                failures.Add($"case {i}: {e.GetType().Name}: {e.Message}");
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases} cases:\n{string.Join('\n', failures.Take(10))}");
    }

    [Fact]
    public void Mutated_safetensors_headers_and_offsets()
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "model.safetensors");
        using (var scope = NewDisposeScope())
            SafetensorsWriter.Write(path, new Dictionary<string, Tensor> { ["a.weight"] = randn(4, 3), ["b"] = arange(5), ["c"] = ones(2, 2, ScalarType.BFloat16) });
        var good = File.ReadAllBytes(path);
        Fuzz(400, (m, _) => File.WriteAllBytes(path, m.Random.Next(3) == 0 ? m.Bytes(good) : MutateHeader(m, good)), () =>
        {
            var tensors = SafetensorsFile.Open(path).ReadAll();
            foreach (var t in tensors.Values) t.Dispose();
        }, path, typeof(CheckpointFormatException));
    }

    /// <summary>The JSON header edited as text, the length prefix fixed up to the new header.</summary>
    static byte[] MutateHeader(Mutator m, byte[] file)
    {
        var length = (int)BitConverter.ToInt64(file);
        var header = System.Text.Encoding.UTF8.GetString(file, 8, length);
        var edited = System.Text.Encoding.UTF8.GetBytes(m.Text(header));
        return [.. BitConverter.GetBytes((long)edited.Length), .. edited, .. file[(8 + length)..]];
    }

    [Fact]
    public void Mutated_config_json()
    {
        var gpt2 = TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("fuzz-gpt2"));
        var llama = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("fuzz-llama"));
        foreach (var folder in new[] { gpt2, llama })
        {
            var config = Path.Combine(folder, "config.json");
            var good = File.ReadAllText(config);
            // A size changed in config.json is reported where it shows: against the weights it no longer fits.
            Fuzz(120, (m, _) => File.WriteAllText(config, m.Text(good)), () => ModelLoader.Load(folder).Dispose(),
                folder, typeof(CheckpointFormatException), typeof(UnsupportedModelException));
        }
    }

    [Fact]
    public void Mutated_adapter_config_and_adapter_weights()
    {
        var checkpoint = TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("fuzz-base"));
        var adapter = TinyCheckpoints.NewFolder("fuzz-adapter");
        using (var model = ModelLoader.Load(checkpoint))
        {
            var injection = LoraInjector.Inject(model, new LoraOptions { Rank = 2, Alpha = 4 }, [new LoraTarget("transformer.h.0.attn.c_attn"), new LoraTarget("transformer.h.1.mlp.c_fc")]);
            AdapterWriter.Save(adapter, model, injection, checkpoint);
        }
        var configPath = Path.Combine(adapter, AdapterFiles.ConfigFile);
        var weightsPath = Path.Combine(adapter, AdapterFiles.WeightsFile);
        var (config, weights) = (File.ReadAllText(configPath), File.ReadAllBytes(weightsPath));
        Fuzz(150, (m, i) =>
        {
            File.WriteAllText(configPath, i % 3 == 2 ? config : m.Text(config));
            File.WriteAllBytes(weightsPath, i % 3 == 2 ? MutateHeader(m, weights) : weights);
        }, () =>
        {
            using var model = ModelLoader.Load(checkpoint);
            AdapterReader.Load(adapter, model);
        }, adapter, typeof(CheckpointFormatException), typeof(AdapterMismatchException));
    }

    [Fact]
    public void Mutated_tokenizer_files()
    {
        var folder = TinyCheckpoints.NewFolder("fuzz-tok");
        TinyCheckpoints.WriteByteLevelTokenizer(folder);
        var files = new[] { "vocab.json", "merges.txt" }.Select(f => Path.Combine(folder, f)).Where(File.Exists).ToArray();
        Assert.NotEmpty(files);
        var good = files.ToDictionary(f => f, File.ReadAllText);
        Fuzz(200, (m, i) =>
        {
            foreach (var f in files) File.WriteAllText(f, good[f]);
            var target = files[i % files.Length];
            File.WriteAllText(target, m.Text(good[target]));
        }, () => TokenizerLoader.Load(folder).Encode("hello world, the cat"), folder, typeof(TokenizerFormatException));
    }

    [Fact]
    public void Mutated_training_checkpoint_files()
    {
        using var dir = new TempFolder();
        using var saved = new SavedCheckpoint(dir.Path);
        var checkpoint = saved.Directory;
        var files = new[] { TrainingCheckpoint.StateFile, TrainingCheckpoint.OptimizerFile, TrainingCheckpoint.RngFile, TrainableParameterStore.File }
            .Select(saved.File).ToArray();
        var good = files.ToDictionary(f => f, File.ReadAllBytes);
        Fuzz(160, (m, i) =>
        {
            foreach (var f in files) File.WriteAllBytes(f, good[f]);
            var target = files[i % files.Length];
            File.WriteAllBytes(target, target.EndsWith(".json", StringComparison.Ordinal)
                ? System.Text.Encoding.UTF8.GetBytes(m.Text(System.Text.Encoding.UTF8.GetString(good[target])))
                : target.EndsWith(".safetensors", StringComparison.Ordinal) && i % 2 == 0 ? MutateHeader(m, good[target]) : m.Bytes(good[target]));
        }, () => saved.Load(), checkpoint, typeof(TrainingCheckpointException), typeof(CheckpointFormatException));
    }

    [Fact]
    public void Mutated_jsonl_and_csv_rows()
    {
        using var dir = new TempFolder();
        var jsonl = dir.Write("data.jsonl", string.Join('\n', Enumerable.Range(0, 6).Select(i => $"{{\"text\":\"row {i} \\\"q\\\"\",\"label\":\"{(i % 2 == 0 ? "a" : "b")}\"}}")));
        var csv = dir.Write("data.csv", "text,label\n" + string.Join('\n', Enumerable.Range(0, 6).Select(i => $"\"row, {i}\",{(i % 2 == 0 ? "a" : "b")}")));
        foreach (var path in new[] { jsonl, csv })
        {
            var good = File.ReadAllText(path);
            Fuzz(200, (m, _) => File.WriteAllText(path, m.Text(good)), () =>
                DatasetBuilder.Build(new DataOptions { Files = [path], ValidationFraction = 0, MaxTokens = 16 }, TrainingFixture.Tokenizer),
                path, typeof(DataFormatException));
        }
    }
}
