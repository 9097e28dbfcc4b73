using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using LoraDsl.ChatTemplates;
using LoraDsl.Training;

namespace LoraDsl.Cli.Commands;

/// <summary>
/// `template --model DIR --messages FILE.json`: renders a conversation through the model's chat template,
/// exactly as transformers' apply_chat_template(tokenize=False) would, and prints it with nothing added.
/// </summary>
static class TemplateCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model", "-m") { Description = "Model folder with tokenizer_config.json (and/or chat_template.jinja); no weights needed" };
        var messages = new Option<string>("--messages") { Description = "JSON file: {\"messages\": [...], \"tools\": [...]} or a bare list of messages", Required = true };
        var generationPrompt = new Option<bool>("--add-generation-prompt") { Description = "End with the header of the assistant's next turn" };
        var variables = new Option<string[]>("--var") { Description = "Template variable NAME=VALUE (repeatable); VALUE is read as JSON when it parses (false, 3, \"x\"), else as text" };
        var template = new Option<string?>("--template") { Description = "A named template of the model folder, a .jinja file or a built-in name (chatml)" };
        var output = new Option<string?>("--output", "-o") { Description = "Write the rendered text to this file instead of stdout" };
        var command = new Command("template", "Render a conversation with the model's chat template (as transformers does)")
        {
            model, messages, generationPrompt, variables, template, output,
        };
        command.SetAction(parsed =>
        {
            var modelDirectory = parsed.GetValue(model);
            var choice = parsed.GetValue(template);
            if (modelDirectory is null && choice is null) throw new ArgumentException("template: give --model DIR (its chat template) or --template FILE|NAME.");
            var chatTemplate = ChatTemplate.Resolve(modelDirectory, choice);
            var (conversation, tools) = ReadMessages(parsed.GetValue(messages)!);
            var text = chatTemplate.Render(conversation, parsed.GetValue(generationPrompt), tools, ParseVariables(parsed.GetValue(variables) ?? []));
            if (parsed.GetValue(output) is { } path) AtomicFile.WriteAllText(path, text);
            else
            {
                Console.Out.Write(text);
                Console.Out.Flush();
            }
            return 0;
        });
        return command;
    }

    static (JsonArray Messages, JsonArray? Tools) ReadMessages(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"--messages: {path} does not exist.", path);
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"--messages: {path} is not valid JSON (line {e.LineNumber + 1}): {e.Message}", e);
        }
        return root switch
        {
            JsonArray list => (list, null),
            JsonObject o when o["messages"] is JsonArray list => (list, o["tools"] switch
            {
                null => null,
                JsonArray tools => tools,
                _ => throw new ArgumentException($"--messages: {path}: \"tools\" must be a list."),
            }),
            _ => throw new ArgumentException($"--messages: {path} must hold a list of messages or {{\"messages\": [...], \"tools\": [...]}}."),
        };
    }

    /// <summary>NAME=VALUE pairs; VALUE as JSON when it parses (false, 3, "x", [1]), else the text itself.</summary>
    internal static Dictionary<string, JsonNode?> ParseVariables(IEnumerable<string> pairs)
    {
        var variables = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0) throw new ArgumentException($"--var: '{pair}' is not NAME=VALUE.");
            var (name, value) = (pair[..eq].Trim(), pair[(eq + 1)..]);
            JsonNode? node;
            try
            {
                node = JsonNode.Parse(value);
            }
            catch (JsonException)
            {
                node = JsonValue.Create(value);
            }
            variables[name] = node;
        }
        return variables;
    }
}
