using System.Text.Json.Nodes;
using LoraDsl.Interop.MiniLm;
using LoraDsl.Models;
using LoraDsl.Tests.TestCheckpoints;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Tokenizers;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Interop;

public sealed class MiniLmImporterTests(MiniLmFixture fixture, ITestOutputHelper output) : IClassFixture<MiniLmFixture>
{
    static readonly string[] Sentences =
    [
        "The quick brown fox jumps over the lazy dog.",
        "LoRA adapters are small.",
        "Hello worlds!",
    ];

    [Fact]
    public void Writes_a_hugging_face_bert_folder()
    {
        Assert.Equal(Path.Combine(fixture.CacheRoot, MiniLmImporter.ModelName), fixture.Folder);
        var config = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(fixture.Folder, "config.json")))!;
        Assert.Equal("bert", (string?)config["model_type"]);
        Assert.Equal(6, (int)config["num_hidden_layers"]!);
        Assert.Equal(384, (int)config["hidden_size"]!);
        Assert.Equal(12, (int)config["num_attention_heads"]!);
        Assert.Equal(1536, (int)config["intermediate_size"]!);
        Assert.Equal(30522, (int)config["vocab_size"]!);
        Assert.Equal(512, (int)config["max_position_embeddings"]!);
        var tokenizer = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(fixture.Folder, "tokenizer_config.json")))!;
        Assert.True((bool)tokenizer["do_lower_case"]!);
        Assert.Equal(30522, File.ReadLines(Path.Combine(fixture.Folder, "vocab.txt")).Count());
        Assert.Empty(Directory.GetDirectories(fixture.CacheRoot, ".*"));
    }

    [Fact]
    public void A_complete_folder_is_reused_and_an_incomplete_one_is_rebuilt()
    {
        var weights = Path.Combine(fixture.Folder, "model.safetensors");
        var written = File.GetLastWriteTimeUtc(weights);
        Assert.Equal(fixture.Folder, MiniLmImporter.EnsureImported(fixture.CacheRoot));
        Assert.Equal(written, File.GetLastWriteTimeUtc(weights));

        var other = Path.Combine(fixture.CacheRoot, "second");
        var half = Directory.CreateDirectory(Path.Combine(other, MiniLmImporter.ModelName)).FullName;
        File.WriteAllText(Path.Combine(half, "config.json"), "{}");
        var rebuilt = MiniLmImporter.EnsureImported(other);
        Assert.Equal(half, rebuilt);
        Assert.True(new FileInfo(Path.Combine(rebuilt, "model.safetensors")).Length > 80_000_000);
        Assert.Contains("\"bert\"", File.ReadAllText(Path.Combine(rebuilt, "config.json")));
    }

    [Fact]
    public void Last_hidden_state_and_pooled_output_match_onnx_runtime()
    {
        var tokenizer = BertTokenizer.Create(Path.Combine(fixture.Folder, "vocab.txt"), new BertOptions { LowerCaseBeforeTokenization = true });
        var encoded = Sentences.Select(s => tokenizer.EncodeToIds(s)).ToList();
        int batch = encoded.Count, length = encoded.Max(e => e.Count);
        Assert.True(encoded.Select(e => e.Count).Distinct().Count() > 1, "sentences of one length would not test padding");
        var ids = new long[batch * length];
        var mask = new long[batch * length];
        for (var b = 0; b < batch; b++)
            for (var t = 0; t < encoded[b].Count; t++)
            {
                ids[b * length + t] = encoded[b][t];
                mask[b * length + t] = 1;
            }
        var types = new long[batch * length];
        long[] shape = [batch, length];

        float[] onnxHidden, onnxPooled;
        byte[] onnxModel;
        using (var stream = MiniLmImporter.OpenOnnxModel())
        using (var copy = new MemoryStream())
        {
            stream.CopyTo(copy);
            onnxModel = copy.ToArray();
        }
        using (var session = new InferenceSession(onnxModel))
        using (var runOptions = new RunOptions())
        using (var idsValue = OrtValue.CreateTensorValueFromMemory(ids, shape))
        using (var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape))
        using (var typesValue = OrtValue.CreateTensorValueFromMemory(types, shape))
        {
            var outputNames = session.OutputNames.ToArray();
            Assert.Equal("last_hidden_state", outputNames[0]);
            using var outputs = session.Run(runOptions,
                ["input_ids", "attention_mask", "token_type_ids"], [idsValue, maskValue, typesValue], outputNames);
            onnxHidden = outputs[0].GetTensorDataAsSpan<float>().ToArray();
            onnxPooled = outputs[1].GetTensorDataAsSpan<float>().ToArray();
        }

        using var model = BertFolder.Load(fixture.Folder);
        using var noGrad = no_grad();
        using var idsTensor = tensor(ids, shape);
        using var maskTensor = tensor(mask, shape);
        using var hidden = model.Encode(new ModelInputs(idsTensor) { AttentionMask = maskTensor });
        using var pooled = model.Bert.Pool(hidden);
        using var expectedHidden = tensor(onnxHidden, [batch, length, 384]);
        using var expectedPooled = tensor(onnxPooled, [batch, 384]);

        // Real tokens only: padded rows are don't-care outputs in both runtimes.
        using var real = maskTensor.to_type(ScalarType.Float32).unsqueeze(-1);
        using var hiddenDiff = ((hidden - expectedHidden) * real).abs().max();
        using var pooledDiff = (pooled - expectedPooled).abs().max();
        output.WriteLine($"max |diff| vs ONNX Runtime: last_hidden_state {hiddenDiff.item<float>():E2}, pooled {pooledDiff.item<float>():E2}");
        Assert.True(hiddenDiff.item<float>() <= 1e-4f, $"last_hidden_state max |diff| = {hiddenDiff.item<float>()}");
        Assert.True(pooledDiff.item<float>() <= 1e-4f, $"pooled output max |diff| = {pooledDiff.item<float>()}");
        // The comparison is not vacuous: outputs are far from zero.
        using var scale = expectedHidden.abs().max();
        Assert.True(scale.item<float>() > 0.5f);
    }
}
