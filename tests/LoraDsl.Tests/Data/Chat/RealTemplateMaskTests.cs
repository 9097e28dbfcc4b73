using LoraDsl.ChatTemplates;
using LoraDsl.Data;
using LoraDsl.Data.Chat;
using Xunit;

namespace LoraDsl.Tests.Data.Chat;

/// <summary>Masks through the real templates of the golden set (rendered by the Jinja renderer), with the texts each template documents.</summary>
public class RealTemplateMaskTests
{
    static readonly SpecialByteTokenizer Tokenizer = new();

    static IChatRenderer Template(string file) =>
        new ChatTemplateRenderer(ChatTemplate.FromFile(Path.Combine(AppContext.BaseDirectory, "ChatTemplates", "Goldens", "templates", file)));

    const string Qwen = "Qwen-Qwen2.5-7B-Instruct.jinja";

    const string TwoTurns =
        "{\"messages\":[{\"role\":\"system\",\"content\":\"Be kind.\"},{\"role\":\"user\",\"content\":\"Hi\"},{\"role\":\"assistant\",\"content\":\"Hello!\"},"
        + "{\"role\":\"user\",\"content\":\"Bye\"},{\"role\":\"assistant\",\"content\":\"See you.\"}]}";

    static PreparedDataset Build(TempFolder dir, string jsonl, IChatRenderer renderer, ChatTrainOn trainOn = ChatTrainOn.Assistant) =>
        DatasetBuilder.Build(new DataOptions { Files = [dir.Write("chat.jsonl", jsonl)], Task = DataTask.Chat, TrainOn = trainOn, MaxTokens = 4096, ValidationFraction = 0 },
            Tokenizer, renderer);

    [Fact]
    public void Qwen25TrainsEachAnswerWithItsImEnd()
    {
        using var dir = new TempFolder();
        var data = Build(dir, TwoTurns, Template(Qwen));
        Assert.Equal(["Hello!<|im_end|>", "See you.<|im_end|>"], ChatMaskTests.TrainedRuns(data.Train[0], Tokenizer));
        Assert.Equal("<|im_end|>", data.EndOfTurn!.Text);
        Assert.StartsWith("<|im_start|>system\nBe kind.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!", Tokenizer.Decode(data.Train[0].InputIds));
    }

    [Fact]
    public void Qwen25TrainsToolCallsAndAnswersButNotToolResults()
    {
        using var dir = new TempFolder();
        var data = Build(dir,
            "{\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Oslo?\"},"
            + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Oslo\"}}}]},"
            + "{\"role\":\"tool\",\"content\":\"5C\"},{\"role\":\"assistant\",\"content\":\"It is 5C.\"}],"
            + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\"}}}]}",
            Template(Qwen));
        Assert.Equal(
            ["<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}\n</tool_call><|im_end|>", "It is 5C.<|im_end|>"],
            ChatMaskTests.TrainedRuns(data.Train[0], Tokenizer));
        Assert.Contains("<tool_response>\n5C\n</tool_response>", Tokenizer.Decode(data.Train[0].InputIds));
    }

    [Fact]
    public void Llama31TrainsEachAnswerWithItsEotId()
    {
        using var dir = new TempFolder();
        var data = Build(dir, TwoTurns, Template("meta-llama-Llama-3.1-8B-Instruct.jinja"));
        Assert.Equal(["Hello!<|eot_id|>", "See you.<|eot_id|>"], ChatMaskTests.TrainedRuns(data.Train[0], Tokenizer));
        Assert.Equal(["See you.<|eot_id|>"], ChatMaskTests.TrainedRuns(Build(dir, TwoTurns, Template("meta-llama-Llama-3.1-8B-Instruct.jinja"), ChatTrainOn.Last).Train[0], Tokenizer));
    }

    [Fact]
    public void GemmaRefusingTheRoleOrderIsADataErrorWithTheTemplatesMessage()
    {
        using var dir = new TempFolder();
        var e = Assert.Throws<DataFormatException>(() => Build(dir,
            "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"}]}\n"
            + "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"user\",\"content\":\"b\"},{\"role\":\"assistant\",\"content\":\"c\"}]}",
            Template("google-gemma-2-2b-it.jinja")));
        Assert.Equal(2, e.Line);
        Assert.Contains("chat.jsonl:2: field 'messages': chat template '", e.Message);
        Assert.EndsWith("Conversation roles must alternate user/assistant/user/assistant/...", e.Message);
    }
}
