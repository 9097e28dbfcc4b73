using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ChatTuning;
using LoraDsl.Checkpoints;
using LoraDsl.Data.Chat;
using LoraDsl.Generation;
using LoraDsl.Models;
using LoraDsl.Tests.TestCheckpoints;
using LoraDsl.Tokenization;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Examples;

/// <summary>The chat example: a tiny Qwen2 with Qwen2.5's template, preview of what trains, training from the CLI, chat that stops at the end of turn.</summary>
[Collection(Training.TorchRandomCollection.Name)]
public class ChatTuningTests
{
    static string TinyQwenFolder(string label) => TinyQwen.Write(Path.Combine(TinyCheckpoints.NewFolder(label), "tiny-qwen"));

    [Fact]
    public void Tiny_qwen_has_single_token_chat_markers_and_the_template_ends_turns_with_im_end()
    {
        var folder = TinyQwenFolder("chat-make");
        var tokenizer = TokenizerLoader.Load(folder);
        Assert.Equal([TinyQwen.ImEndId], tokenizer.Encode("<|im_end|>", addSpecialTokens: false));
        var endOfTurn = EndOfTurn.Find(ChatRendererResolver.For(null, folder), tokenizer);
        Assert.Equal(new EndOfTurn("<|im_end|>", TinyQwen.ImEndId), endOfTurn);
        Assert.Equal(243, File.ReadLines(Path.Combine(AppContext.BaseDirectory, "data", "conversations.jsonl")).Count() + 1);
    }

    [Fact]
    public void Preview_marks_exactly_the_assistant_turns_with_their_end_of_turn()
    {
        var folder = TinyQwenFolder("chat-preview");
        var (exit, stdout, stderr) = CliCapture.RunProgram(typeof(TinyQwen), ["preview", "qwen-chat", "--set", $"model.path={folder}", "--examples", "2"]);
        Assert.True(exit == 0, stderr);
        var examples = stdout.Split("--- example ", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, examples.Length);
        foreach (var block in examples)
        {
            Assert.Contains("marked ⟦…⟧; end of turn '<|im_end|>'", block);
            var example = block[(block.IndexOf('\n') + 1)..]; // the text after the header line
            var spans = Regex.Matches(example, "⟦(.*?)⟧", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToList();
            // One marked span per assistant turn the template opened, each ending with the end of turn and holding no other marker.
            Assert.Equal(Regex.Matches(example, Regex.Escape("<|im_start|>assistant\n")).Count, spans.Count);
            Assert.Equal(2, spans.Count);
            Assert.All(spans, s => Assert.EndsWith("<|im_end|>", s));
            Assert.All(spans, s => Assert.DoesNotContain("<|im_start|>", s));
            Assert.All(spans, s => Assert.Single(Regex.Matches(s, Regex.Escape("<|im_end|>"))));
            Assert.Contains("<|im_start|>system\n", example);
        }

        var (jsonExit, json, _) = CliCapture.RunProgram(typeof(TinyQwen), ["preview", "qwen-chat", "--set", $"model.path={folder}", "--examples", "1", "--json"]);
        Assert.Equal(0, jsonExit);
        var tokens = JsonNode.Parse(json)!["examples"]![0]!["tokens"]!.AsArray();
        var trainedEnds = tokens.Count(t => t!["trained"]!.GetValue<bool>() && t["id"]!.GetValue<int>() == TinyQwen.ImEndId);
        var allEnds = tokens.Count(t => t!["id"]!.GetValue<int>() == TinyQwen.ImEndId);
        Assert.Equal(2, trainedEnds); // the two assistant turns' ends train; system and user ends do not
        Assert.Equal(5, allEnds);
        Assert.False(tokens[0]!["trained"]!.GetValue<bool>());
    }

    [Fact]
    public void Recipe_trains_from_the_cli_and_chat_answers_through_the_template()
    {
        var folder = TinyQwenFolder("chat-train");
        var output = Path.Combine(Path.GetDirectoryName(folder)!, "run");
        var (exit, stdout, stderr) = CliCapture.RunProgram(typeof(TinyQwen),
            ["train", "qwen-chat", "--set", $"model.path={folder}", "--set", "training.max_steps=2", "--set", $"training.output_dir={output}", "--set", "data.max_records=24"]);
        Assert.True(exit == 0, stdout + stderr);
        Assert.True(File.Exists(Path.Combine(output, "adapter", "adapter_model.safetensors")));
        using (var run = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "run.json"))))
            Assert.Contains("\"chat\"", run.RootElement.ToString());

        var (chatExit, answer, chatErr) = CliCapture.RunProgram(typeof(TinyQwen),
            ["chat", "--adapter", Path.Combine(output, "adapter"), "--system", "Be brief.", "--message", "Who delivered the 1962 address?", "--max-new-tokens", "6"]);
        Assert.True(chatExit == 0, chatErr);
        Assert.EndsWith("\n", answer);
    }

    /// <summary>A tiny Qwen whose every next token is &lt;|im_end|&gt;: residual branches zeroed, equal embeddings, a head that scores only that row.</summary>
    static string AlwaysEndOfTurn(string label, bool baseModelEos)
    {
        var folder = TinyQwenFolder(label);
        using (var model = ModelLoader.Load(folder))
        using (no_grad())
        {
            foreach (var (name, parameter) in model.named_parameters())
            {
                if (name.EndsWith("o_proj.weight", StringComparison.Ordinal) || name.EndsWith("down_proj.weight", StringComparison.Ordinal)) parameter.zero_();
                if (name.EndsWith("embed_tokens.weight", StringComparison.Ordinal)) parameter.fill_(1.0);
                if (name == "lm_head.weight")
                {
                    parameter.zero_();
                    parameter[TinyQwen.ImEndId].fill_(1.0);
                }
            }
            HfCheckpointWriter.Save(model, folder, folder);
        }
        if (baseModelEos)
        {
            // A base model's files: eos is <|endoftext|> everywhere; only the template knows <|im_end|> ends a turn.
            foreach (var file in new[] { "config.json", "generation_config.json" })
            {
                var json = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, file)))!.AsObject();
                json["eos_token_id"] = TinyQwen.FirstAddedId;
                File.WriteAllText(Path.Combine(folder, file), json.ToJsonString());
            }
            var config = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "tokenizer_config.json")))!.AsObject();
            config["eos_token"] = "<|endoftext|>";
            File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), config.ToJsonString());
        }
        return folder;
    }

    [Fact]
    public void Chat_stops_at_the_templates_end_of_turn_where_plain_generation_runs_on()
    {
        var folder = AlwaysEndOfTurn("chat-stop", baseModelEos: true);
        var (exit, answer, stderr) = CliCapture.RunProgram(typeof(TinyQwen), ["chat", "--model", folder, "--message", "hello", "--max-new-tokens", "5"]);
        Assert.True(exit == 0, stderr);
        Assert.Equal("\n", answer.Replace("\r\n", "\n"));
        var (genExit, generated, _) = CliCapture.RunProgram(typeof(TinyQwen), ["generate", "--model", folder, "--prompt", "hello", "--max-new-tokens", "5"]);
        Assert.Equal(0, genExit);
        Assert.Equal(5, Regex.Matches(generated, Regex.Escape("<|im_end|>")).Count);
    }

    [Fact]
    public void Generation_stops_on_every_id_of_generation_configs_eos_list()
    {
        var folder = AlwaysEndOfTurn("chat-eos-list", baseModelEos: false);
        // config.json and the tokenizer say <|endoftext|>; generation_config.json lists <|im_end|> too.
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!.AsObject();
        config["eos_token_id"] = TinyQwen.FirstAddedId;
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());
        using var model = ModelLoader.Load(folder);
        Assert.Equal([TinyQwen.ImEndId, (long)TinyQwen.FirstAddedId], StopTokens.Of(model.Config, tokenizerEos: null));
        Assert.Empty(new TextGenerator(model).Generate([5L, 6L], new GenerationOptions { MaxNewTokens = 4 }));
        Assert.Equal(4, new TextGenerator(model).Generate([5L, 6L], new GenerationOptions { MaxNewTokens = 4, EosTokenIds = [TinyQwen.FirstAddedId] }).Count);
    }

    [Fact]
    public void Untrained_end_of_turn_row_is_a_warning_naming_the_token()
    {
        var folder = TinyQwenFolder("chat-row");
        using var model = ModelLoader.Load(folder);
        var endOfTurn = new EndOfTurn("<|im_end|>", TinyQwen.ImEndId);
        Assert.Null(EndOfTurnEmbeddingCheck.Warning(model, endOfTurn));
        using (no_grad()) ((IInputEmbeddings)model).InputEmbeddings.weight![TinyQwen.ImEndId].mul_(0.01);
        var warning = EndOfTurnEmbeddingCheck.Warning(model, endOfTurn);
        Assert.NotNull(warning);
        Assert.StartsWith($"the end-of-turn token '<|im_end|>' (id {TinyQwen.ImEndId}) has an embedding row of norm", warning);
    }
}
