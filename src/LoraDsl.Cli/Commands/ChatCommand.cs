using System.CommandLine;
using System.Text.Json.Nodes;
using LoraDsl.Data.Chat;
using LoraDsl.Generation;
using LoraDsl.Models;

namespace LoraDsl.Cli.Commands;

/// <summary>
/// `chat --model DIR [--adapter DIR] [--system TEXT] [--message TEXT]`: a conversation through the model's chat template,
/// streaming each answer and stopping on the template's end of turn or any eos id; --message answers once and exits.
/// </summary>
static class ChatCommand
{
    public const string ExitWord = "/exit";

    public static Command Create()
    {
        var adapter = CommonOptions.Adapter();
        var use = CommonOptions.Use();
        var model = CommonOptions.Model();
        var device = CommonOptions.Device();
        var system = new Option<string?>("--system") { Description = "A system message that opens the conversation" };
        var message = new Option<string?>("--message") { Description = "Answer this one message and exit (no interactive prompt)" };
        var template = new Option<string?>("--chat-template") { Description = "A built-in template (chatml), a named template of the model folder, or a .jinja file; default: the folder's own" };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Most tokens per answer", DefaultValueFactory = _ => 256 };
        var temperature = new Option<double>("--temperature") { Description = "0 = greedy", DefaultValueFactory = _ => 0.0 };
        var topP = new Option<double>("--top-p") { Description = "Nucleus sampling mass", DefaultValueFactory = _ => 1.0 };
        var seed = new Option<ulong?>("--seed") { Description = "Sampling seed" };
        var dtype = CommonOptions.Dtype();
        var command = new Command("chat", "Chat with a causal language model (+ adapter) through its chat template")
        {
            adapter, use, model, device, system, message, template, maxNew, temperature, topP, seed, dtype,
        };
        command.SetAction(parsed =>
        {
            using var session = ModelSession.Open(parsed.GetValue(model), parsed.GetValue(adapter), parsed.GetValue(use), parsed.GetValue(device)!,
                CommonOptions.ParseDtype(parsed.GetValue(dtype)));
            if (session.Model.Task != ModelTask.CausalLanguageModeling)
                throw new ArgumentException($"chat needs a causal language model; '{session.CheckpointDirectory}' is {session.Model.Task}.");
            var tokenizer = session.RequireTokenizer();
            var renderer = ChatRendererResolver.For(parsed.GetValue(template), session.CheckpointDirectory);
            var endOfTurn = EndOfTurn.Find(renderer, tokenizer);
            var options = new GenerationOptions
            {
                MaxNewTokens = parsed.GetValue(maxNew),
                Temperature = parsed.GetValue(temperature),
                TopP = parsed.GetValue(topP),
                Seed = parsed.GetValue(seed),
                EosTokenIds = StopTokens.Of(session.Model.Config, tokenizer.EosId, endOfTurn.Id),
            };
            var conversation = new ChatConversation(new TextGenerator(session.Model, tokenizer), tokenizer, renderer, options, parsed.GetValue(system));
            if (parsed.GetValue(message) is { } one)
            {
                conversation.Answer(one, Console.Write);
                Console.WriteLine();
                return 0;
            }
            Console.Error.WriteLine($"Chatting with {session.CheckpointDirectory} through template '{renderer.Name}' (stops on '{endOfTurn.Text}'); {ExitWord} or end of input quits.");
            while (true)
            {
                Console.Error.Write("> ");
                var line = Console.ReadLine();
                if (line is null || line.Trim() == ExitWord) return 0;
                if (line.Trim().Length == 0) continue;
                conversation.Answer(line, Console.Write);
                Console.WriteLine();
            }
        });
        return command;
    }
}
