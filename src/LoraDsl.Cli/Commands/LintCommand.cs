using System.CommandLine;
using LoraDsl.Adapters;
using LoraDsl.Dsl;

namespace LoraDsl.Cli.Commands;

/// <summary>
/// `lint --adapter DIR --for vllm|llama.cpp|sglang|tgi|peft [--max-lora-rank N]`: every rule of that server the adapter
/// breaks, one line each, exit 1; "ok" and exit 0 when none (<see cref="ServingRules"/>, cited in docs/deploy.md).
/// </summary>
static class LintCommand
{
    public static Command Create()
    {
        var adapter = new Option<string>("--adapter", "-a") { Description = "PEFT adapter folder (adapter_config.json + adapter_model.safetensors)", Required = true };
        var server = new Option<string>("--for") { Description = $"The server that will load it: {string.Join(", ", ServingRules.Servers)}", Required = true };
        var maxRank = new Option<int?>("--max-lora-rank") { Description = $"The server's --max-lora-rank (vLLM's default: {ServingRules.VllmDefaultMaxLoraRank})" };
        var command = new Command("lint", "Check an adapter against the rules of the server that will load it (vLLM, llama.cpp, SGLang, TGI, PEFT)")
        {
            adapter, server, maxRank,
        };
        command.SetAction(parsed =>
        {
            var name = parsed.GetValue(server)!;
            var target = ServingRules.Find(name)
                ?? throw new ArgumentException($"--for: '{name}' is not a server lint knows; use one of {string.Join(", ", ServingRules.Servers)}.");
            var directory = parsed.GetValue(adapter)!;
            if (!Directory.Exists(directory)) throw new ArgumentException($"--adapter: folder '{Path.GetFullPath(directory)}' does not exist.");
            var limit = parsed.GetValue(maxRank) ?? ServingRules.DefaultMaxLoraRank(target);
            var findings = ServingRules.Check(target, ServedAdapterReader.Read(directory), limit);
            foreach (var (_, message) in findings) Console.WriteLine(message);
            if (findings.Count > 0) return 1;
            Console.WriteLine($"ok: {ServingRules.DisplayName(target)} loads '{directory}' as trained");
            return 0;
        });
        return command;
    }
}
