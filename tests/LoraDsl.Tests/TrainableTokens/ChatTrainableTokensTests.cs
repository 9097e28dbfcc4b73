using System.Text.Json.Nodes;
using ChatTuning;
using LoraDsl.Adapters;
using LoraDsl.Checkpoints;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Tests.Examples;
using LoraDsl.Tests.TestCheckpoints;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.TrainableTokens;

/// <summary>Issue 16's end of turn: a chat run with &lt;|im_end|&gt; as a trainable token (named by text) trains that row and no other.</summary>
[Collection(Training.TorchRandomCollection.Name)]
public class ChatTrainableTokensTests(Xunit.Abstractions.ITestOutputHelper log)
{
    [Fact]
    public void A_chat_run_with_im_end_as_trainable_token_changes_its_row_and_no_other()
    {
        var folder = TinyQwen.Write(Path.Combine(TinyCheckpoints.NewFolder("chat-tokens"), "tiny-qwen"));
        var output = Path.Combine(Path.GetDirectoryName(folder)!, "run");
        var (exit, stdout, stderr) = CliCapture.RunProgram(typeof(TinyQwen),
            ["train", "qwen-chat", "--set", $"model.path={folder}", "--set", "training.max_steps=3", "--set", $"training.output_dir={output}",
             "--set", "data.max_records=16", "--set", "lora.trainable_token_indices=<|im_end|>"]);
        Assert.True(exit == 0, stdout + stderr);
        var adapter = Path.Combine(output, "adapter");

        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(adapter, AdapterFiles.ConfigFile)))!;
        Assert.Equal($"[{TinyQwen.ImEndId}]", config["trainable_token_indices"]!.ToJsonString());
        using var baseTable = SafetensorsFile.Open(Path.Combine(folder, "model.safetensors")).Read("model.embed_tokens.weight");
        using var delta = SafetensorsFile.Open(Path.Combine(adapter, AdapterFiles.WeightsFile)).Read("base_model.model.model.embed_tokens.token_adapter.trainable_tokens_delta");
        Assert.Equal([1L, baseTable.shape[1]], delta.shape);
        Assert.False(delta[0].allclose(baseTable[TinyQwen.ImEndId], rtol: 0, atol: 0), "the <|im_end|> row did not train");

        // Loaded and merged: the table differs from the base in that row alone, and holds the trained values there.
        using var model = ModelLoader.Load(folder);
        AdapterReader.Load(adapter, model);
        LoraInjector.MergeAndUnload(model);
        using var merged = ((IInputEmbeddings)model).InputEmbeddings.weight!.detach().clone();
        using var changed = merged.ne(baseTable).any(1).nonzero().flatten();
        Assert.Equal([(long)TinyQwen.ImEndId], changed.data<long>().ToArray());
        Assert.True(merged[TinyQwen.ImEndId].allclose(delta[0], rtol: 0, atol: 0));
        using var moved = (delta[0] - baseTable[TinyQwen.ImEndId]).norm();
        using var rowNorm = baseTable[TinyQwen.ImEndId].norm();
        log.WriteLine($"<|im_end|> row (id {TinyQwen.ImEndId}) moved by {moved.item<float>():G3} (its norm {rowNorm.item<float>():G3}) in 3 steps; rows changed: {changed.shape[0]} of {baseTable.shape[0]}");
    }
}
