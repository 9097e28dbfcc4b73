using System.Text.Json.Nodes;
using LoraDsl.Checkpoints;
using LoraDsl.Tests.Examples;
using LoraDsl.Tests.TestCheckpoints;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Deploy;

/// <summary>`lint --for SERVER`: one line per broken rule and exit 1, or "ok" and exit 0 (rules: ServingRules).</summary>
[Collection(Training.TorchRandomCollection.Name)]
public class LintCommandTests
{
    const string Prefix = "base_model.model.model.layers.0.";

    // A PEFT folder written by hand: the config PEFT writes (with `edit` applied) and zero tensors under the given names.
    static string Adapter(Action<JsonObject>? edit = null, string[]? modules = null, string[]? extraTensors = null, string? extraFile = null)
    {
        var folder = TinyCheckpoints.NewFolder("lint");
        var config = new JsonObject
        {
            ["peft_type"] = "LORA", ["r"] = 8, ["lora_alpha"] = 16, ["target_modules"] = new JsonArray("q_proj", "v_proj"),
            ["bias"] = "none", ["use_dora"] = false, ["use_rslora"] = false, ["modules_to_save"] = null,
            ["base_model_name_or_path"] = "tiny",
        };
        edit?.Invoke(config);
        File.WriteAllText(Path.Combine(folder, "adapter_config.json"), config.ToJsonString());
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var module in modules ?? ["self_attn.q_proj", "self_attn.v_proj"])
        {
            tensors[$"{Prefix}{module}.lora_A.weight"] = zeros(8, 4);
            tensors[$"{Prefix}{module}.lora_B.weight"] = zeros(4, 8);
        }
        foreach (var name in extraTensors ?? []) tensors[name] = zeros(4);
        SafetensorsWriter.Write(Path.Combine(folder, "adapter_model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        foreach (var t in tensors.Values) t.Dispose();
        if (extraFile is not null) File.WriteAllText(Path.Combine(folder, extraFile), "{\"<new>\": 32000}");
        return folder;
    }

    static (int Exit, string[] Lines) Lint(string folder, string server, params string[] more)
    {
        var (exit, stdout, stderr) = CliCapture.Run(["lint", "--adapter", folder, "--for", server, .. more]);
        Assert.True(stderr.Length == 0, stderr);
        return (exit, stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public void A_plain_rank_8_adapter_on_q_and_v_is_ok_for_every_server()
    {
        var folder = Adapter();
        foreach (var server in new[] { "vllm", "llama.cpp", "sglang", "tgi", "peft" })
        {
            var (exit, lines) = Lint(folder, server);
            Assert.Equal(0, exit);
            Assert.StartsWith("ok", Assert.Single(lines));
        }
    }

    public static TheoryData<string, string, string[]> Broken => new()
    {
        // rule, server, what makes the adapter break it
        { "modules_to_save", "vllm", ["modules_to_save"] },
        { "dora", "vllm", ["dora"] },
        { "dora", "llama.cpp", ["dora"] },
        { "adalora", "sglang", ["adalora"] },
        { "rank", "vllm", ["r32"] },
        { "bias", "llama.cpp", ["bias"] },
        { "rslora", "sglang", ["rslora"] },
        { "rslora", "llama.cpp", ["rslora"] },
        { "embedding", "tgi", ["embedding"] },
        { "added_tokens", "vllm", ["added_tokens"] },
        { "fused_modules", "sglang", ["fused"] },
        { "module_names", "tgi", ["gpt2"] },
        { "patterns", "vllm", ["rank_pattern"] },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void Each_broken_rule_is_one_line_naming_the_rule_and_the_servers_source_and_exits_1(string rule, string server, string[] how)
    {
        var folder = how[0] switch
        {
            "modules_to_save" => Adapter(c => c["modules_to_save"] = new JsonArray("lm_head"), extraTensors: ["base_model.model.lm_head.weight"]),
            "dora" => Adapter(c => c["use_dora"] = true, extraTensors: [$"{Prefix}self_attn.q_proj.lora_magnitude_vector"]),
            "adalora" => Adapter(c => c["peft_type"] = "ADALORA"),
            "r32" => Adapter(c => c["r"] = 32),
            "bias" => Adapter(c => c["bias"] = "all", extraTensors: [$"{Prefix}self_attn.q_proj.bias"]),
            "rslora" => Adapter(c => c["use_rslora"] = true),
            "embedding" => Adapter(extraTensors: ["base_model.model.model.embed_tokens.lora_embedding_A", "base_model.model.model.embed_tokens.lora_embedding_B"]),
            "added_tokens" => Adapter(extraFile: "added_tokens.json"),
            "fused" => Adapter(modules: ["self_attn.qkv_proj", "mlp.gate_up_proj"]),
            "gpt2" => Adapter(modules: ["attn.c_proj", "mlp.c_fc"]),
            "rank_pattern" => Adapter(c => c["rank_pattern"] = new JsonObject { ["v_proj"] = 4 }),
            _ => throw new ArgumentException(how[0]),
        };
        var (exit, lines) = Lint(folder, server);
        Assert.Equal(1, exit);
        var line = Assert.Single(lines, l => l.Contains($"[{rule}]"));
        Assert.Contains(LoraDsl.Dsl.ServingRules.All.Single(r => r.Id == rule).Sources[server], line);
        // Every line is a finding: no "ok" beside them.
        Assert.DoesNotContain(lines, l => l.StartsWith("ok", StringComparison.Ordinal));
    }

    [Fact]
    public void The_rank_limit_follows_max_lora_rank_and_sglang_has_none_unless_given()
    {
        var folder = Adapter(c => c["r"] = 32);
        Assert.Equal(1, Lint(folder, "vllm").Exit);
        Assert.Contains("rank 32 is above max_lora_rank 16", Lint(folder, "vllm").Lines[0]);
        Assert.Equal(0, Lint(folder, "vllm", "--max-lora-rank", "32").Exit);
        Assert.Equal(0, Lint(folder, "sglang").Exit);
        Assert.Equal(1, Lint(folder, "sglang", "--max-lora-rank", "16").Exit);
    }

    [Fact]
    public void Several_broken_rules_give_one_line_each_and_peft_loads_them_all()
    {
        var folder = Adapter(c => { c["use_dora"] = true; c["r"] = 64; c["modules_to_save"] = new JsonArray("lm_head"); });
        var (exit, lines) = Lint(folder, "vllm");
        Assert.Equal(1, exit);
        Assert.Equal(["[modules_to_save]", "[dora]", "[rank]"], lines.Select(l => l[(l.IndexOf('[')) ..(l.IndexOf(']') + 1)]));
        Assert.Equal(0, Lint(folder, "peft").Exit);
    }

    [Fact]
    public void An_unknown_server_is_one_error_naming_the_known_ones()
    {
        var (exit, _, stderr) = CliCapture.Run(["lint", "--adapter", Adapter(), "--for", "ollama"]);
        Assert.Equal(1, exit);
        Assert.Contains("vllm, llama.cpp, sglang, tgi, peft", stderr);
    }
}
