using System.Text.Json.Nodes;
using LoraDsl.Checkpoints;
using LoraDsl.Models.Llama;
using LoraDsl.Tests.TestCheckpoints;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Models;

public class LlamaRopeScalingTests
{
    static LlamaConfig Config(JsonObject? scaling, double theta = 500000)
    {
        var raw = TinyCheckpoints.LlamaConfig(new TinyLlamaSpec { Hidden = 64, Heads = 2, KvHeads = 2, RopeTheta = theta });
        if (scaling is not null) raw["rope_scaling"] = scaling;
        return LlamaConfig.FromJson(raw, "/models/x/config.json");
    }

    static float[] Frequencies(LlamaConfig config)
    {
        using var f = LlamaRotaryEmbedding.InverseFrequency(config, CPU);
        return f.data<float>().ToArray();
    }

    [Fact]
    public void Llama3_keeps_high_frequencies_divides_low_ones_and_blends_between()
    {
        var plain = Frequencies(Config(null));
        var scaled = Frequencies(Config(new JsonObject
        {
            ["rope_type"] = "llama3", ["factor"] = 8.0, ["low_freq_factor"] = 1.0, ["high_freq_factor"] = 4.0,
            ["original_max_position_embeddings"] = 8192,
        }));
        Assert.Equal(16, scaled.Length);
        Assert.Equal(plain[0], scaled[0]);
        Assert.Equal(plain[^1] / 8, scaled[^1], 1e-6f * plain[^1]);
        var blended = Enumerable.Range(0, plain.Length).Where(i => scaled[i] < plain[i] * 0.999f && scaled[i] > plain[i] / 8 * 1.001f).ToList();
        Assert.NotEmpty(blended);
        // Blended frequencies satisfy HF's interpolation between f/8 and f.
        foreach (var i in blended)
        {
            var wavelength = 2 * Math.PI / plain[i];
            var smooth = (8192 / wavelength - 1) / 3;
            Assert.Equal((1 - smooth) * plain[i] / 8 + smooth * plain[i], scaled[i], 1e-6 * plain[i]);
        }
    }

    [Fact]
    public void Linear_divides_every_frequency()
    {
        var plain = Frequencies(Config(null, 10000));
        var scaled = Frequencies(Config(new JsonObject { ["type"] = "linear", ["factor"] = 2.0 }, 10000));
        for (var i = 0; i < plain.Length; i++) Assert.Equal(plain[i] / 2, scaled[i], 1e-7f);
    }

    [Fact]
    public void Unsupported_scaling_names_file_and_kind()
    {
        var e = Assert.Throws<UnsupportedModelException>(() => Config(new JsonObject { ["rope_type"] = "yarn", ["factor"] = 4.0 }));
        Assert.Contains("yarn", e.Message);
        Assert.Contains("/models/x/config.json", e.Message);
    }
}
