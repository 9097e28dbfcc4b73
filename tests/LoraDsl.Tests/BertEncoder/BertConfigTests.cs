using System.Text.Json.Nodes;
using LoraDsl.Checkpoints;
using LoraDsl.Models.Bert;
using LoraDsl.Tests.TestCheckpoints;
using Xunit;

namespace LoraDsl.Tests.BertEncoder;

public class BertConfigTests
{
    [Fact]
    public void Reads_sizes_and_defaults()
    {
        var config = BertConfig.FromJson(TinyBert.Config(numLabels: 3), "/x/config.json");
        Assert.Equal(TinyBert.Hidden, config.HiddenSize);
        Assert.Equal(TinyBert.Layers, config.NumLayers);
        Assert.Equal(TinyBert.Hidden / TinyBert.Heads, config.HeadDim);
        Assert.Equal(TinyBert.Intermediate, config.IntermediateSize);
        Assert.Equal(3, config.NumLabels);
        Assert.Equal(["LABEL_0", "LABEL_1", "LABEL_2"], config.Id2Label);
        Assert.Equal(0.02, config.InitializerRange);
        Assert.Null(config.ClassifierDropout);
    }

    [Fact]
    public void Id2label_sets_the_labels()
    {
        var raw = TinyBert.Config();
        raw.Remove("num_labels");
        raw["id2label"] = new JsonObject { ["1"] = "positive", ["0"] = "negative" };
        var config = BertConfig.FromJson(raw, null);
        Assert.Equal(["negative", "positive"], config.Id2Label);
        Assert.Equal(2, config.NumLabels);
    }

    [Theory]
    [InlineData("hidden_size")]
    [InlineData("num_attention_heads")]
    [InlineData("intermediate_size")]
    [InlineData("vocab_size")]
    [InlineData("num_hidden_layers")]
    public void Missing_required_field_names_file_and_field(string field)
    {
        var raw = TinyBert.Config();
        raw.Remove(field);
        var e = Assert.Throws<CheckpointFormatException>(() => BertConfig.FromJson(raw, "/models/tiny/config.json"));
        Assert.Contains("/models/tiny/config.json", e.Message);
        Assert.Contains($"'{field}'", e.Message);
    }

    [Fact]
    public void Wrong_type_and_unsupported_activation_are_reported()
    {
        var raw = TinyBert.Config();
        raw["hidden_size"] = "big";
        Assert.Contains("hidden_size", Assert.Throws<CheckpointFormatException>(() => BertConfig.FromJson(raw, "c.json")).Message);
        raw = TinyBert.Config();
        raw["hidden_act"] = "swish";
        Assert.Contains("swish", Assert.Throws<CheckpointFormatException>(() => BertConfig.FromJson(raw, "c.json")).Message);
        raw = TinyBert.Config();
        raw["model_type"] = "roberta";
        Assert.Contains("roberta", Assert.Throws<CheckpointFormatException>(() => BertConfig.FromJson(raw, "c.json")).Message);
        raw = TinyBert.Config();
        raw["num_attention_heads"] = 5;
        Assert.Contains("divisible", Assert.Throws<CheckpointFormatException>(() => BertConfig.FromJson(raw, "c.json")).Message);
    }
}
