using System.Text.Json.Nodes;
using LoraDsl.ChatTemplates;
using Xunit;

namespace LoraDsl.Tests.ChatTemplates;

/// <summary>Where a model folder keeps its template and which special tokens the template sees (as transformers passes them).</summary>
public sealed class ChatTemplateModelFolderTests : IDisposable
{
    readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("chat-template-folder");

    public void Dispose() => dir.Delete(recursive: true);

    static readonly JsonArray User = new(new JsonObject { ["role"] = "user", ["content"] = "hi" });

    [Fact]
    public void Special_tokens_come_from_tokenizer_config_as_strings_and_added_token_objects()
    {
        File.WriteAllText(Path.Combine(dir.FullName, "tokenizer_config.json"), """
            {"chat_template": "{{ bos_token }}|{{ eos_token }}|{{ pad_token }}|{{ unk_token is defined }}|{{ additional_special_tokens | join(',') }}|{{ added_tokens_decoder is defined }}",
             "bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": false},
             "eos_token": "</s>", "pad_token": null,
             "additional_special_tokens": ["<a>", {"content": "<b>"}],
             "added_tokens_decoder": {"0": {"content": "<s>", "special": true}}}
            """);
        var template = ChatTemplate.FromModelFolder(dir.FullName);
        Assert.Equal("<s>|</s>||False|<a>,<b>|False", template.Render(User, addGenerationPrompt: false));
        Assert.EndsWith("tokenizer_config.json", template.Name);
    }

    [Fact]
    public void Chat_template_jinja_wins_over_tokenizer_config_as_in_transformers()
    {
        File.WriteAllText(Path.Combine(dir.FullName, "tokenizer_config.json"), """{"chat_template": "from config", "eos_token": "<e>"}""");
        File.WriteAllText(Path.Combine(dir.FullName, "chat_template.jinja"), "from file {{ eos_token }}\n");
        var template = ChatTemplate.FromModelFolder(dir.FullName);
        Assert.Equal("from file <e>", template.Render(User, addGenerationPrompt: false));
        Assert.EndsWith("chat_template.jinja", template.Name);
    }

    [Fact]
    public void A_folder_without_a_template_says_so_and_offers_the_built_ins()
    {
        File.WriteAllText(Path.Combine(dir.FullName, "tokenizer_config.json"), """{"eos_token": "</s>"}""");
        var e = Assert.Throws<ChatTemplateException>(() => ChatTemplate.FromModelFolder(dir.FullName));
        Assert.Contains("no chat template", e.Message);
        Assert.Contains("chatml", e.Message);
        var unknown = Assert.Throws<ChatTemplateException>(() => ChatTemplate.BuiltIn("vicuna"));
        Assert.Contains("known: chatml", unknown.Message);
    }

    [Fact]
    public void Resolve_passes_the_folders_special_tokens_to_a_built_in()
    {
        File.WriteAllText(Path.Combine(dir.FullName, "tokenizer_config.json"), """{"eos_token": "<|im_end|>"}""");
        var template = ChatTemplate.Resolve(dir.FullName, "chatml");
        Assert.Equal("built-in chatml", template.Name);
        Assert.Equal("<|im_end|>", template.SpecialTokens["eos_token"]!.GetValue<string>());
        Assert.Equal("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", template.Render(User, addGenerationPrompt: true));
    }

    [Fact]
    public void Reserved_variables_cannot_be_overridden()
    {
        var template = ChatTemplate.BuiltIn("chatml");
        Assert.Throws<ArgumentException>(() => template.Render(User, false, variables: new Dictionary<string, JsonNode?> { ["messages"] = new JsonArray() }));
    }
}
