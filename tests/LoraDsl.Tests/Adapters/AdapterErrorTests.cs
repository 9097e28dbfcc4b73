using System.Text.Json.Nodes;
using LoraDsl.Adapters;
using LoraDsl.Checkpoints;
using LoraDsl.Lora;
using LoraDsl.Tests.Lora.TestModels;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Adapters;

public class AdapterErrorTests
{
    static readonly LoraOptions Options = new() { Rank = 4, Alpha = 8, Dropout = 0 };

    static void SaveLlamaAdapter(string folder)
    {
        var model = new TinyLlama();
        var injection = LoraInjector.Inject(model, Options, ["model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj"]);
        AdapterRoundTripTests.RandomizeTrainable(model, 41);
        AdapterWriter.Save(folder, model, injection);
    }

    static void AssertUntouched(nn.Module model) => Assert.DoesNotContain(model.named_modules(), m => m.module is LoraLinear);

    static void EditConfig(string folder, Action<JsonObject> edit)
    {
        var path = Path.Combine(folder, AdapterFiles.ConfigFile);
        var config = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(config);
        File.WriteAllText(path, config.ToJsonString());
    }

    [Fact]
    public void A_missing_config_names_the_file()
    {
        using var folder = new AdapterFolder();
        SaveLlamaAdapter(folder.Path);
        File.Delete(folder.File(AdapterFiles.ConfigFile));
        var e = Assert.Throws<CheckpointFormatException>(() => AdapterReader.Load(folder.Path, new TinyLlama()));
        Assert.Contains(folder.File(AdapterFiles.ConfigFile), e.Message);
    }

    [Fact]
    public void Missing_weights_name_the_file()
    {
        using var folder = new AdapterFolder();
        SaveLlamaAdapter(folder.Path);
        File.Delete(folder.File(AdapterFiles.WeightsFile));
        var e = Assert.Throws<CheckpointFormatException>(() => AdapterReader.Load(folder.Path, new TinyLlama()));
        Assert.Contains(folder.File(AdapterFiles.WeightsFile), e.Message);
    }

    [Fact]
    public void An_unknown_peft_type_is_rejected_with_its_name()
    {
        using var folder = new AdapterFolder();
        SaveLlamaAdapter(folder.Path);
        EditConfig(folder.Path, c => c["peft_type"] = "IA3");
        var model = new TinyLlama();
        var e = Assert.Throws<AdapterMismatchException>(() => AdapterReader.Load(folder.Path, model));
        Assert.Contains("IA3", e.Message);
        Assert.Contains(folder.File(AdapterFiles.ConfigFile), e.Message);
        AssertUntouched(model);
    }

    [Fact]
    public void Invalid_config_json_names_the_file()
    {
        using var folder = new AdapterFolder();
        SaveLlamaAdapter(folder.Path);
        File.WriteAllText(folder.File(AdapterFiles.ConfigFile), "{ \"peft_type\": \"LORA\", ");
        var e = Assert.Throws<CheckpointFormatException>(() => AdapterReader.Load(folder.Path, new TinyLlama()));
        Assert.Contains(folder.File(AdapterFiles.ConfigFile), e.Message);
    }

    [Fact]
    public void A_tensor_for_a_module_the_model_lacks_names_the_tensor_and_file()
    {
        using var folder = new AdapterFolder();
        var tensors = new Dictionary<string, Tensor>
        {
            ["base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"] = zeros(2, 16),
            ["base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight"] = zeros(16, 2),
            ["base_model.model.model.layers.7.self_attn.q_proj.lora_A.weight"] = zeros(2, 16),
            ["base_model.model.model.layers.7.self_attn.q_proj.lora_B.weight"] = zeros(16, 2),
        };
        SafetensorsWriter.Write(folder.File(AdapterFiles.WeightsFile), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        File.WriteAllText(folder.File(AdapterFiles.ConfigFile), """{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["q_proj"]}""");
        var model = new TinyLlama();
        var e = Assert.Throws<AdapterMismatchException>(() => AdapterReader.Load(folder.Path, model));
        Assert.Contains("base_model.model.model.layers.7.self_attn.q_proj.lora_A.weight", e.Message);
        Assert.Contains(folder.File(AdapterFiles.WeightsFile), e.Message);
        AssertUntouched(model);
    }

    [Fact]
    public void A_rank_that_disagrees_with_the_tensors_reports_expected_and_found_shapes()
    {
        using var folder = new AdapterFolder();
        SaveLlamaAdapter(folder.Path);
        EditConfig(folder.Path, c => c["r"] = 8);
        var model = new TinyLlama();
        var e = Assert.Throws<AdapterMismatchException>(() => AdapterReader.Load(folder.Path, model));
        Assert.Contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", e.Message);
        Assert.Contains("has shape [4, 16], expected [8, 16]", e.Message);
        AssertUntouched(model);
    }

    [Fact]
    public void An_adapter_for_another_architecture_is_rejected()
    {
        using var folder = new AdapterFolder();
        SaveLlamaAdapter(folder.Path);
        var model = new TinyGpt2();
        var e = Assert.Throws<AdapterMismatchException>(() => AdapterReader.Load(folder.Path, model));
        Assert.Contains("match no module of TinyGpt2", e.Message); // checked before any tensor: the targets name LLaMA modules
        AssertUntouched(model);
    }

    [Fact]
    public void A_modules_to_save_tensor_with_the_wrong_shape_is_rejected()
    {
        using var folder = new AdapterFolder();
        var tensors = new Dictionary<string, Tensor>
        {
            ["base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"] = zeros(2, 16),
            ["base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight"] = zeros(16, 2),
            ["base_model.model.lm_head.weight"] = zeros(5, 16),
        };
        SafetensorsWriter.Write(folder.File(AdapterFiles.WeightsFile), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        File.WriteAllText(folder.File(AdapterFiles.ConfigFile), """{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["q_proj"], "modules_to_save": ["lm_head"]}""");
        var e = Assert.Throws<AdapterMismatchException>(() => AdapterReader.Load(folder.Path, new TinyLlama()));
        Assert.Contains("base_model.model.lm_head.weight", e.Message);
        Assert.Contains("[5, 16]", e.Message);
        Assert.Contains("[32, 16]", e.Message);
    }

    [Fact]
    public void A_truncated_weights_file_names_the_file_and_tensor()
    {
        using var folder = new AdapterFolder();
        SaveLlamaAdapter(folder.Path);
        var file = folder.File(AdapterFiles.WeightsFile);
        using (var stream = new FileStream(file, FileMode.Open)) stream.SetLength(stream.Length - 10);
        var model = new TinyLlama();
        var e = Assert.Throws<CheckpointFormatException>(() => AdapterReader.Load(folder.Path, model));
        Assert.Contains(file, e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.Contains("lora_", e.Message);
        AssertUntouched(model);
    }

    [Fact]
    public void A_corrupt_header_names_the_file()
    {
        using var folder = new AdapterFolder();
        SaveLlamaAdapter(folder.Path);
        var file = folder.File(AdapterFiles.WeightsFile);
        var bytes = File.ReadAllBytes(file);
        bytes[8] = (byte)'#';
        File.WriteAllBytes(file, bytes);
        var e = Assert.Throws<CheckpointFormatException>(() => AdapterReader.Load(folder.Path, new TinyLlama()));
        Assert.Contains(file, e.Message);

        BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), (ulong)bytes.Length);
        File.WriteAllBytes(file, bytes);
        e = Assert.Throws<CheckpointFormatException>(() => AdapterReader.Load(folder.Path, new TinyLlama()));
        Assert.Contains("header length", e.Message);
    }

    [Fact]
    public void Loading_the_same_adapter_name_twice_is_rejected()
    {
        using var folder = new AdapterFolder();
        SaveLlamaAdapter(folder.Path);
        var model = new TinyLlama();
        AdapterReader.Load(folder.Path, model);
        var e = Assert.Throws<AdapterMismatchException>(() => AdapterReader.Load(folder.Path, model));
        Assert.Contains("already has an adapter named 'default'", e.Message);
        var second = AdapterReader.Load(folder.Path, model, adapterName: "again");
        Assert.Equal(2, second.Modules.Count);
    }
}
