using LoraDsl.Data;
using LoraDsl.Data.Chat;
using Xunit;

namespace LoraDsl.Tests.Data.Chat;

public class ChatMaskTests
{
    static readonly SpecialByteTokenizer Tokenizer = new();
    static readonly ChatMlTestRenderer ChatMl = new();

    const string TwoTurns =
        "{\"messages\":[{\"role\":\"system\",\"content\":\"Be kind.\"},{\"role\":\"user\",\"content\":\"Hi\"},{\"role\":\"assistant\",\"content\":\"Hello!\"},"
        + "{\"role\":\"user\",\"content\":\"Bye\"},{\"role\":\"assistant\",\"content\":\"See you.\"}]}";

    /// <summary>The decoded runs of consecutive trained tokens, and a check that each trained label is its own input id.</summary>
    public static List<string> TrainedRuns(TokenizedExample example, SpecialByteTokenizer tokenizer)
    {
        var runs = new List<string>();
        var run = new List<int>();
        for (var i = 0; i <= example.InputIds.Length; i++)
        {
            var trained = i < example.InputIds.Length && example.Labels[i] != TokenizedExample.IgnoreIndex;
            if (trained)
            {
                Assert.Equal(example.InputIds[i], example.Labels[i]);
                run.Add(example.InputIds[i]);
            }
            else if (run.Count > 0)
            {
                runs.Add(tokenizer.Decode(run));
                run.Clear();
            }
        }
        return runs;
    }

    static PreparedDataset Build(TempFolder dir, string jsonl, ChatTrainOn trainOn = ChatTrainOn.Assistant, int maxTokens = 512) =>
        DatasetBuilder.Build(new DataOptions
        {
            Files = [dir.Write("chat.jsonl", jsonl)],
            Task = DataTask.Chat,
            TrainOn = trainOn,
            MaxTokens = maxTokens,
            ValidationFraction = 0,
        }, Tokenizer, ChatMl);

    [Fact]
    public void AssistantTurnsWithTheirEndOfTurnTrainAndNothingElse()
    {
        using var dir = new TempFolder();
        var data = Build(dir, TwoTurns);
        var example = Assert.Single(data.Train);
        Assert.Equal(["Hello!<|im_end|>", "See you.<|im_end|>"], TrainedRuns(example, Tokenizer));
        // The ids are the whole rendered conversation, as the template writes it.
        Assert.Equal(
            "<|im_start|>system\nBe kind.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n"
            + "<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\nSee you.<|im_end|>\n",
            Tokenizer.Decode(example.InputIds));
        Assert.Equal(new EndOfTurn("<|im_end|>", 260), data.EndOfTurn);
        Assert.Equal(DataTask.Chat, data.Task);
        Assert.Empty(data.Warnings);
    }

    [Fact]
    public void PackingPutsConversationsInOneRowWithTheirOwnSegments()
    {
        using var dir = new TempFolder();
        var single = Build(dir, TwoTurns).Train[0];
        var packed = DatasetBuilder.Build(new DataOptions
        {
            Files = [dir.Write("two.jsonl", TwoTurns + "\n" + TwoTurns)],
            Task = DataTask.Chat,
            MaxTokens = 512,
            ValidationFraction = 0,
            Packing = true,
        }, Tokenizer, ChatMl);
        var row = Assert.Single(packed.Train);
        Assert.Equal([.. single.InputIds, .. single.InputIds], row.InputIds);
        Assert.Equal([.. Enumerable.Repeat(1, single.InputIds.Length), .. Enumerable.Repeat(2, single.InputIds.Length)], row.Segments!);
        // The same trained spans in each conversation (each one's first token is never a target).
        Assert.Equal(["Hello!<|im_end|>", "See you.<|im_end|>", "Hello!<|im_end|>", "See you.<|im_end|>"], TrainedRuns(row, Tokenizer));
    }

    [Fact]
    public void LastTrainsOnlyTheLastAssistantTurnAndAllTrainsEverything()
    {
        using var dir = new TempFolder();
        Assert.Equal(["See you.<|im_end|>"], TrainedRuns(Build(dir, TwoTurns, ChatTrainOn.Last).Train[0], Tokenizer));
        var all = Build(dir, TwoTurns, ChatTrainOn.All).Train[0];
        Assert.All(all.Labels, l => Assert.NotEqual(TokenizedExample.IgnoreIndex, l));
    }

    [Fact]
    public void PromptCompletionTrainsOnlyTheCompletion()
    {
        using var dir = new TempFolder();
        var data = Build(dir,
            "{\"prompt\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"},{\"role\":\"user\",\"content\":\"c\"}],\"completion\":\"d\"}");
        Assert.Equal(["d<|im_end|>"], TrainedRuns(data.Train[0], Tokenizer));
    }

    [Fact]
    public void TruncationLeavesACutTurnUntrainedAndSaysSo()
    {
        using var dir = new TempFolder();
        // Cut inside "See you.": the second turn would lose its end of turn.
        var full = Tokenizer.Encode(new ChatMlTestRenderer().Render(ConversationReader.Read(dir.Write("probe.jsonl", TwoTurns)).Single().Messages, false)).Count;
        var data = Build(dir, TwoTurns + "\n" + TwoTurns.Replace("See you.", "Ok"), maxTokens: full - 4);
        var runs = data.Train.Select(e => TrainedRuns(e, Tokenizer)).ToList();
        Assert.Contains(["Hello!<|im_end|>"], runs);
        Assert.Contains(["Hello!<|im_end|>", "Ok<|im_end|>"], runs);
        var warning = Assert.Single(data.Warnings);
        Assert.Equal($"1 of 2 conversations are longer than data.max_tokens={full - 4} and were cut; 1 assistant turns lost their end-of-turn token '<|im_end|>' and are left untrained (raise data.max_tokens to keep them).", warning);
    }

    [Fact]
    public void ConversationWithoutAssistantTurnIsSkippedAndCounted()
    {
        using var dir = new TempFolder();
        var data = Build(dir, TwoTurns + "\n{\"messages\":[{\"role\":\"user\",\"content\":\"alone\"}]}");
        Assert.Single(data.Train);
        Assert.Equal(1, data.DroppedRecords);
        Assert.Contains(data.Warnings, w => w.StartsWith("1 of 2 conversations have no token left to train", StringComparison.Ordinal));
    }

    [Fact]
    public void TemplateRefusingTheRoleOrderIsOneErrorWithFileLineAndField()
    {
        using var dir = new TempFolder();
        var e = Assert.Throws<DataFormatException>(() => Build(dir,
            TwoTurns + "\n{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"user\",\"content\":\"b\"},{\"role\":\"assistant\",\"content\":\"c\"}]}"));
        Assert.Equal(2, e.Line);
        Assert.EndsWith("chat.jsonl:2: field 'messages': chat template 'test-chatml' refuses this conversation: Conversation roles must alternate user/assistant/user/assistant/...", e.Message);
    }

    [Fact]
    public void EndOfTurnSplitIntoSeveralTokensIsAnErrorNamingIt()
    {
        using var dir = new TempFolder();
        var e = Assert.Throws<EndOfTurnException>(() => DatasetBuilder.Build(
            new DataOptions { Files = [dir.Write("c.jsonl", TwoTurns)], Task = DataTask.Chat, ValidationFraction = 0 }, new ByteTokenizer(), ChatMl));
        Assert.Contains("ends an assistant turn with '<|im_end|>', which the tokenizer splits into 10 tokens", e.Message);
    }

    [Fact]
    public void PadEqualToTheEndOfTurnIsAWarningNamingTheToken()
    {
        using var dir = new TempFolder();
        var data = DatasetBuilder.Build(new DataOptions { Files = [dir.Write("c.jsonl", TwoTurns)], Task = DataTask.Chat, ValidationFraction = 0 },
            new SpecialByteTokenizer(padId: 260), ChatMl);
        Assert.Contains(data.Warnings, w => w.StartsWith("the padding token is the end-of-turn token '<|im_end|>' (id 260)", StringComparison.Ordinal));
    }

    [Fact]
    public void ChatFormatSettingSwitchesTheTaskAndTrainOnIsASetting()
    {
        var recipe = new LoraDsl.Recipes.RecipeBuilder("chat", LoraDsl.Architectures.Llama.Descriptor)
            .Model(m => m.FromDirectory("models/qwen"))
            .Lora(l => l.Rank(8).Target(LoraDsl.Architectures.Llama.QProj))
            .Data(d => d.JsonLines("chat.jsonl"))
            .Build();
        Assert.Equal(DataTask.Classification, recipe.Data.Task);
        var changed = recipe.WithOverrides([new("data.format", "chat"), new("data.train_on", "last"), new("data.chat_template", "chatml")]);
        Assert.Equal(DataTask.Chat, changed.Data.Task);
        Assert.Equal(ChatTrainOn.Last, changed.Data.TrainOn);
        Assert.Equal("chatml", changed.Data.ChatTemplate);
        var dsl = new LoraDsl.Recipes.RecipeBuilder("chat", LoraDsl.Architectures.Llama.Descriptor)
            .Model(m => m.FromDirectory("models/qwen"))
            .Lora(l => l.Rank(8).Target(LoraDsl.Architectures.Llama.QProj))
            .Data(d => d.JsonLines("chat.jsonl").Chat("dialog").ChatTemplateFile("t.jinja").TrainOn(ChatTrainOn.All))
            .Build();
        Assert.Equal((DataTask.Chat, "dialog", "t.jinja", ChatTrainOn.All), (dsl.Data.Task, dsl.Data.MessagesField, dsl.Data.ChatTemplate, dsl.Data.TrainOn));
    }
}
