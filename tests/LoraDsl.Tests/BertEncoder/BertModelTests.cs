using LoraDsl.Checkpoints;
using LoraDsl.Models;
using LoraDsl.Models.Bert;
using LoraDsl.Modules;
using LoraDsl.Tests.TestCheckpoints;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.BertEncoder;

public sealed class BertModelTests : IDisposable
{
    readonly string directory = Path.Combine(Path.GetTempPath(), $"loradsl-bert-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
    }

    static Tensor Ids(long[,] ids) => tensor(ids, dtype: ScalarType.Int64);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Encoder_matches_a_plain_tensor_computation(bool bertPrefix)
    {
        var sd = TinyBert.Write(directory, seed: 7, bertPrefix);
        using var model = BertFolder.Load(directory);
        using var ids = Ids(new long[,] { { 2, 17, 5, 33, 9, 3 }, { 2, 8, 21, 3, 0, 0 } });
        using var types = tensor(new long[,] { { 0, 0, 0, 1, 1, 1 }, { 0, 0, 0, 0, 0, 0 } });
        using var mask = tensor(new long[,] { { 1, 1, 1, 1, 1, 1 }, { 1, 1, 1, 1, 0, 0 } });
        using var noGrad = no_grad();
        using var actual = model.Encode(new ModelInputs(ids) { TokenTypeIds = types, AttentionMask = mask });

        using var scope = NewDisposeScope();
        var p = bertPrefix ? "bert." : "";
        Tensor W(string name) => sd[p + name];
        Tensor Norm(Tensor x, string name)
        {
            var mean = x.mean([-1], keepdim: true);
            var variance = (x - mean).pow(2).mean([-1], keepdim: true);
            return (x - mean) / (variance + 1e-12).sqrt() * W(name + ".weight") + W(name + ".bias");
        }
        Tensor Dense(Tensor x, string name) => x.matmul(W(name + ".weight").t()) + W(name + ".bias");
        var x = W("embeddings.word_embeddings.weight")[ids] + W("embeddings.position_embeddings.weight")[..6].unsqueeze(0)
            + W("embeddings.token_type_embeddings.weight")[types];
        x = Norm(x, "embeddings.LayerNorm");
        var blocked = (1 - mask.to_type(ScalarType.Float32)).view(2, 1, 1, 6) * -1e9;
        const int heads = TinyBert.Heads, headDim = TinyBert.Hidden / TinyBert.Heads;
        for (var i = 0; i < TinyBert.Layers; i++)
        {
            var l = $"encoder.layer.{i}.";
            Tensor Split(string name) => Dense(x, l + name).view(2, 6, heads, headDim).permute(0, 2, 1, 3);
            var scores = Split("attention.self.query").matmul(Split("attention.self.key").transpose(-1, -2)) / Math.Sqrt(headDim) + blocked;
            var context = scores.softmax(-1).matmul(Split("attention.self.value")).permute(0, 2, 1, 3).reshape(2, 6, TinyBert.Hidden);
            var attended = Norm(Dense(context, l + "attention.output.dense") + x, l + "attention.output.LayerNorm");
            var up = Dense(attended, l + "intermediate.dense");
            var gelu = 0.5 * up * (1 + (up / Math.Sqrt(2)).erf());
            x = Norm(Dense(gelu, l + "output.dense") + attended, l + "output.LayerNorm");
        }
        Assert.Equal([2L, 6L, TinyBert.Hidden], actual.shape);
        Assert.True((actual - x).abs().max().item<float>() < 1e-4f, $"max diff {(actual - x).abs().max().item<float>()}");
        foreach (var t in sd.Values) t.Dispose();
    }

    [Fact]
    public void Padding_does_not_change_real_tokens()
    {
        TinyBert.Write(directory, seed: 3);
        using var model = BertFolder.Load(directory);
        using var noGrad = no_grad();
        using var shortIds = Ids(new long[,] { { 2, 11, 12, 13, 3 } });
        // Same sentence, padded with arbitrary (non-pad) ids that the mask must hide.
        using var paddedIds = Ids(new long[,] { { 2, 11, 12, 13, 3, 30, 31, 32 } });
        using var mask = tensor(new long[,] { { 1, 1, 1, 1, 1, 0, 0, 0 } });
        using var alone = model.Encode(new ModelInputs(shortIds));
        using var padded = model.Encode(new ModelInputs(paddedIds) { AttentionMask = mask });
        using var real = padded[.., ..5];
        Assert.True(real.allclose(alone, rtol: 0, atol: 1e-5));
        // Without the mask the padding does leak in, so the comparison above is not vacuous.
        using var unmasked = model.Encode(new ModelInputs(paddedIds));
        using var leaked = unmasked[.., ..5];
        Assert.False(leaked.allclose(alone, rtol: 0, atol: 1e-3));

        using var logitsAlone = model.Forward(new ModelInputs(shortIds));
        using var logitsPadded = model.Forward(new ModelInputs(paddedIds) { AttentionMask = mask });
        Assert.Equal([1L, 3L], logitsPadded.shape);
        Assert.True(logitsPadded.allclose(logitsAlone, rtol: 0, atol: 1e-5));
    }

    [Fact]
    public void Shape_mismatch_names_tensor_and_file()
    {
        var directory = Directory.CreateTempSubdirectory("loradsl-bert-").FullName;
        foreach (var t in TinyBert.Write(directory, seed: 1).Values) t.Dispose();
        var config = TinyBert.Config(numLabels: 5);
        File.WriteAllText(Path.Combine(directory, "config.json"), config.ToJsonString());
        var e = Assert.Throws<CheckpointFormatException>(() => ModelLoader.Load(directory, new ModelLoadOptions { Device = "cpu" }));
        Assert.Contains("classifier.weight", e.Message);
        Assert.Contains(Path.Combine(directory, "model.safetensors"), e.Message);
    }

    [Fact]
    public void Missing_encoder_weight_is_an_error_but_a_missing_head_is_initialised()
    {
        var directory = Directory.CreateTempSubdirectory("loradsl-bert-").FullName;
        var sd = TinyBert.StateDict(seed: 1, bertPrefix: false);
        File.WriteAllText(Path.Combine(directory, "config.json"), TinyBert.Config().ToJsonString());
        SafetensorsWriter.Write(Path.Combine(directory, "model.safetensors"), sd);
        using (var model = ModelLoader.Load(directory, new ModelLoadOptions { Device = "cpu" }, out var report))
            Assert.Contains("classifier.weight", report.NewlyInitializedKeys);

        sd.Remove("encoder.layer.1.output.dense.bias", out var removed);
        removed!.Dispose();
        SafetensorsWriter.Write(Path.Combine(directory, "model.safetensors"), sd);
        var e = Assert.Throws<CheckpointFormatException>(() => ModelLoader.Load(directory, new ModelLoadOptions { Device = "cpu" }));
        Assert.Contains("encoder.layer.1.output.dense.bias", e.Message);
        foreach (var t in sd.Values) t.Dispose();
    }

    [Fact]
    public void New_classifier_is_initialised_like_hugging_face()
    {
        var raw = TinyBert.Config(numLabels: 2);
        raw["hidden_size"] = 256;
        raw["num_attention_heads"] = 4;
        raw["num_hidden_layers"] = 1;
        using var model = new BertForSequenceClassification(BertConfig.FromJson(raw, null));
        var head = (Linear)ModuleSurgery.Find(model, "classifier");
        using var std = head.weight!.std();
        Assert.InRange(std.item<float>(), 0.015f, 0.025f);
        using var absBias = head.bias!.abs().sum();
        Assert.Equal(0f, absBias.item<float>());
        Assert.Equal(ModelTask.SequenceClassification, model.Task);
    }

    [Fact]
    public void Dropout_applies_in_training_only()
    {
        TinyBert.Write(directory, seed: 5);
        using var model = BertFolder.Load(directory);
        using var ids = Ids(new long[,] { { 2, 4, 6, 8, 3 } });
        using var noGrad = no_grad();
        using var a = model.Encode(new ModelInputs(ids));
        using var b = model.Encode(new ModelInputs(ids));
        Assert.True(a.allclose(b, rtol: 0, atol: 0));
        model.train();
        using var c = model.Encode(new ModelInputs(ids));
        Assert.False(a.allclose(c, rtol: 0, atol: 1e-4));
    }

    [Fact]
    public void Every_linear_but_the_pooler_is_replaceable_under_its_hugging_face_path()
    {
        using var model = new BertForSequenceClassification(BertConfig.FromJson(TinyBert.Config(), null));
        string[] paths =
        [
            "classifier",
            .. Enumerable.Range(0, TinyBert.Layers).SelectMany(i => new[]
            {
                $"bert.encoder.layer.{i}.attention.self.query", $"bert.encoder.layer.{i}.attention.self.key",
                $"bert.encoder.layer.{i}.attention.self.value", $"bert.encoder.layer.{i}.attention.output.dense",
                $"bert.encoder.layer.{i}.intermediate.dense", $"bert.encoder.layer.{i}.output.dense",
            }),
        ];
        using var ids = Ids(new long[,] { { 2, 9, 10, 3 } });
        using var noGrad = no_grad();
        model.eval();
        using var before = model.Forward(new ModelInputs(ids));
        foreach (var path in paths) ModuleSurgery.Replace(model, path, old => new Scaled(old));
        foreach (var path in paths) Assert.IsType<Scaled>(ModuleSurgery.Find(model, path));
        using var after = model.Forward(new ModelInputs(ids));
        Assert.False(after.allclose(before));
        // The wrapped weights keep their Hugging Face names under the wrapper.
        Assert.Contains("bert.encoder.layer.0.attention.self.query.inner.weight", model.state_dict().Keys);
    }

    [Fact]
    public void Gradients_reach_encoder_and_head_through_the_masked_attention()
    {
        TinyBert.Write(directory, seed: 11);
        using var model = BertFolder.Load(directory);
        model.train();
        using var ids = Ids(new long[,] { { 2, 5, 6, 7, 3 }, { 2, 9, 3, 0, 0 } });
        using var mask = tensor(new long[,] { { 1, 1, 1, 1, 1 }, { 1, 1, 1, 0, 0 } });
        using var labels = tensor(new long[] { 0, 2 });
        using var logits = model.Forward(new ModelInputs(ids) { AttentionMask = mask });
        using var loss = nn.functional.cross_entropy(logits, labels);
        loss.backward();
        foreach (var name in new[] { "classifier.weight", "bert.encoder.layer.0.attention.self.query.weight", "bert.embeddings.word_embeddings.weight" })
        {
            var parameter = model.named_parameters().Single(p => p.name == name).parameter;
            using var grad = parameter.grad;
            Assert.NotNull(grad);
            using var norm = grad!.norm();
            Assert.True(norm.item<float>() > 0, name);
        }
    }

    [Fact]
    public void Too_long_input_is_rejected()
    {
        using var model = new BertForSequenceClassification(BertConfig.FromJson(TinyBert.Config(), null));
        using var ids = zeros([1, TinyBert.Positions + 1], ScalarType.Int64);
        Assert.Contains("max_position_embeddings", Assert.Throws<ArgumentException>(() => model.Forward(new ModelInputs(ids))).Message);
    }

    sealed class Scaled : nn.Module<Tensor, Tensor>
    {
        readonly nn.Module<Tensor, Tensor> inner;

        public Scaled(nn.Module<Tensor, Tensor> inner) : base("scaled")
        {
            this.inner = inner;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var y = inner.call(x);
            return y * 1.5;
        }
    }
}
