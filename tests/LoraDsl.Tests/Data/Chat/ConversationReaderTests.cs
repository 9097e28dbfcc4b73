using System.Text.Json.Nodes;
using LoraDsl.Data;
using LoraDsl.Data.Chat;
using Xunit;

namespace LoraDsl.Tests.Data.Chat;

public class ConversationReaderTests
{
    static string Roles(Conversation c) => string.Join(",", c.Messages.Select(m => m!["role"]!.GetValue<string>()));

    static string Contents(Conversation c) => string.Join("|", c.Messages.Select(m => m!["content"] is JsonValue v ? v.GetValue<string>() : "-"));

    [Fact]
    public void OpenAiMessagesKeepToolCallsAndToolTurns()
    {
        using var dir = new TempFolder();
        var file = dir.Write("c.jsonl",
            "{\"messages\":[{\"role\":\"system\",\"content\":\"S\"},{\"role\":\"user\",\"content\":\"weather?\"},"
            + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"type\":\"function\",\"function\":{\"name\":\"get\",\"arguments\":{\"city\":\"Oslo\"}}}]},"
            + "{\"role\":\"tool\",\"content\":\"5C\"},{\"role\":\"assistant\",\"content\":\"It is 5C.\"}],"
            + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get\"}}]}\n\n"
            + "{\"messages\":[{\"role\":\"developer\",\"content\":\"D\"},{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"yo\"}]}\n");
        var read = ConversationReader.Read(file).ToList();
        Assert.Equal(2, read.Count);
        Assert.Equal("system,user,assistant,tool,assistant", Roles(read[0]));
        Assert.Equal("Oslo", read[0].Messages[2]!["tool_calls"]![0]!["function"]!["arguments"]!["city"]!.GetValue<string>());
        Assert.Single(read[0].Tools!);
        Assert.Equal(1, read[0].Line);
        Assert.Equal(3, read[1].Line);
        Assert.Equal("system,user,assistant", Roles(read[1]));
        Assert.Equal(0, read[1].FirstTrainable);
    }

    [Fact]
    public void ShareGptRolesMapToOpenAiAndSystemFieldComesFirst()
    {
        using var dir = new TempFolder();
        var file = dir.Write("s.jsonl",
            "{\"system\":\"Be brief.\",\"conversations\":[{\"from\":\"human\",\"value\":\"Q1\"},{\"from\":\"gpt\",\"value\":\"A1\"},"
            + "{\"from\":\"function_call\",\"value\":\"{\\\"name\\\":\\\"f\\\",\\\"arguments\\\":{}}\"},{\"from\":\"observation\",\"value\":\"R\"},{\"from\":\"gpt\",\"value\":\"A2\"}]}\n");
        var c = Assert.Single(ConversationReader.Read(file));
        Assert.Equal("system,user,assistant,assistant,tool,assistant", Roles(c));
        Assert.Equal("Be brief.|Q1|A1|-|R|A2", Contents(c));
        Assert.Equal("f", c.Messages[3]!["tool_calls"]![0]!["function"]!["name"]!.GetValue<string>());
        Assert.Equal("conversations", c.Field);
    }

    [Fact]
    public void PromptCompletionAsStringsOrMessageListsTrainsOnlyTheCompletion()
    {
        using var dir = new TempFolder();
        var file = dir.Write("p.jsonl",
            "{\"prompt\":\"2+2?\",\"completion\":\"4\"}\n"
            + "{\"prompt\":[{\"role\":\"system\",\"content\":\"S\"},{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"},{\"role\":\"user\",\"content\":\"c\"}],"
            + "\"completion\":[{\"role\":\"assistant\",\"content\":\"d\"}]}\n");
        var read = ConversationReader.Read(file).ToList();
        Assert.Equal("user,assistant", Roles(read[0]));
        Assert.Equal("2+2?|4", Contents(read[0]));
        Assert.Equal(1, read[0].FirstTrainable);
        Assert.Equal("system,user,assistant,user,assistant", Roles(read[1]));
        Assert.Equal(4, read[1].FirstTrainable);
    }

    [Fact]
    public void JsonArrayFileGivesEachRecordTheLineItStartsOn()
    {
        using var dir = new TempFolder();
        var file = dir.Write("a.json",
            "[\n  {\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"assistant\", \"content\": \"b\"}]},\n"
            + "  {\n    \"messages\": [\n      {\"role\": \"user\", \"content\": \"c\"},\n      {\"role\": \"bot\", \"content\": \"d\"}\n    ]\n  }\n]\n");
        var e = Assert.Throws<DataFormatException>(() => ConversationReader.Read(file).ToList());
        Assert.Equal(3, e.Line);
        Assert.Equal($"{file}:3: field 'messages[1].role': unknown role 'bot' (known: system, developer, user, assistant, tool, function).", e.Message);
    }

    [Theory]
    [InlineData("{\"messages\":[]}", "field 'messages' is an empty conversation.")]
    [InlineData("{\"conversations\":[]}", "field 'conversations' is an empty conversation.")]
    [InlineData("{\"conversations\":[{\"from\":\"robot\",\"value\":\"x\"}]}", "field 'conversations[0].from': unknown role 'robot'")]
    [InlineData("{\"messages\":[{\"role\":\"user\"}]}", "field 'messages[0].content' is missing.")]
    [InlineData("{\"messages\":[{\"content\":\"x\"}]}", "field 'messages[0].role' is missing or not a string.")]
    [InlineData("{\"prompt\":\"x\",\"completion\":\"\"}", "field 'completion' is empty.")]
    [InlineData("{\"text\":\"x\"}", "no conversation: expected field 'messages' (OpenAI messages), 'conversations' (ShareGPT) or 'prompt' + 'completion' (fields present: text).")]
    public void BadRecordIsOneErrorWithFileLineAndField(string record, string problem)
    {
        using var dir = new TempFolder();
        var file = dir.Write("bad.jsonl", "{\"messages\":[{\"role\":\"user\",\"content\":\"ok\"}]}\n" + record + "\n");
        var e = Assert.Throws<DataFormatException>(() => ConversationReader.Read(file).ToList());
        Assert.StartsWith($"{file}:2: {problem}", e.Message);
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void MessagesFieldIsConfigurable()
    {
        using var dir = new TempFolder();
        var file = dir.Write("d.jsonl", "{\"dialog\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"}]}\n");
        Assert.Equal("user,assistant", Roles(Assert.Single(ConversationReader.Read(file, "dialog"))));
    }
}
