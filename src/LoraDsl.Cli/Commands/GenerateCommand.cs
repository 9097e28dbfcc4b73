using System.CommandLine;
using LoraDsl.Generation;
using LoraDsl.Models;

namespace LoraDsl.Cli.Commands;

/// <summary>`generate --model dir [--adapter dir] --prompt "..."`: text from a causal model with a KV cache.</summary>
static class GenerateCommand
{
    public static Command Create()
    {
        var adapter = CommonOptions.Adapter();
        var use = CommonOptions.Use();
        var model = CommonOptions.Model();
        var device = CommonOptions.Device();
        var prompt = new Option<string>("--prompt", "-p") { Description = "The prompt", Required = true };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Tokens to generate", DefaultValueFactory = _ => 64 };
        var temperature = new Option<double>("--temperature") { Description = "0 = greedy", DefaultValueFactory = _ => 0.0 };
        var topK = new Option<int>("--top-k") { Description = "Sample from the k most likely tokens (0 = all)", DefaultValueFactory = _ => 0 };
        var topP = new Option<double>("--top-p") { Description = "Nucleus sampling mass", DefaultValueFactory = _ => 1.0 };
        var seed = new Option<ulong?>("--seed") { Description = "Sampling seed" };
        var dtype = CommonOptions.Dtype();
        var command = new Command("generate", "Generate text with a causal language model (+ adapter)")
        {
            adapter, use, model, device, prompt, maxNew, temperature, topK, topP, seed, dtype,
        };
        maxNew.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError($"--max-new-tokens: {r.GetValueOrDefault<int>()} is not a count of tokens; give 1 or more."); });
        temperature.Validators.Add(r =>
        {
            var t = r.GetValueOrDefault<double>();
            if (!double.IsFinite(t) || t < 0) r.AddError($"--temperature: {t} is out of range; give 0 (greedy) or a positive number.");
        });
        topK.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) r.AddError($"--top-k: {r.GetValueOrDefault<int>()} is negative; give 0 (all tokens) or more."); });
        topP.Validators.Add(r =>
        {
            var p = r.GetValueOrDefault<double>();
            if (!(p > 0 && p <= 1)) r.AddError($"--top-p: {p} is out of range; give a value in (0, 1].");
        });
        command.SetAction(parsed =>
        {
            using var session = ModelSession.Open(parsed.GetValue(model), parsed.GetValue(adapter), parsed.GetValue(use), parsed.GetValue(device)!,
                CommonOptions.ParseDtype(parsed.GetValue(dtype)));
            if (session.Model.Task != ModelTask.CausalLanguageModeling)
                throw new ArgumentException($"generate needs a causal language model; '{session.CheckpointDirectory}' is {session.Model.Task}.");
            var generator = new TextGenerator(session.Model, session.RequireTokenizer());
            var text = generator.Generate(parsed.GetValue(prompt)!, new GenerationOptions
            {
                MaxNewTokens = parsed.GetValue(maxNew),
                Temperature = parsed.GetValue(temperature),
                TopK = parsed.GetValue(topK),
                TopP = parsed.GetValue(topP),
                Seed = parsed.GetValue(seed),
            });
            Console.WriteLine(text);
            return 0;
        });
        return command;
    }
}
