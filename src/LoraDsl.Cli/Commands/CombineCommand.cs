using System.CommandLine;
using System.Globalization;
using LoraDsl.Adapters;
using LoraDsl.Adapters.Combination;

namespace LoraDsl.Cli.Commands;

/// <summary>
/// `combine --adapter a=DIR --adapter b=DIR --method cat --weights 1,0.5 --output DIR`: PEFT's
/// add_weighted_adapter over adapter folders, written as one ordinary PEFT adapter.
/// </summary>
static class CombineCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var adapters = new Option<string[]>("--adapter", "-a") { Description = "NAME=DIR of a PEFT adapter folder, once per input", Required = true };
        var method = new Option<string>("--method") { Description = $"One of {string.Join(", ", CombinationMethods.PeftNames)}", DefaultValueFactory = _ => "svd" };
        var weights = new Option<string?>("--weights") { Description = "Comma-separated weights, one per --adapter in order (default: 1 each; negative subtracts)" };
        var density = new Option<double?>("--density") { Description = "Fraction of entries kept by ties, dare_* and magnitude_prune (0..1)" };
        var svdRank = new Option<int?>("--svd-rank") { Description = "Rank of an svd-form result (default: the largest input rank)" };
        var svdClamp = new Option<double?>("--svd-clamp") { Description = "Quantile at which the SVD factors are clamped (svd forms)" };
        var majority = new Option<string>("--majority-sign") { Description = "TIES sign election: total or frequency", DefaultValueFactory = _ => "total" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of DARE's random masks", DefaultValueFactory = _ => 42UL };
        var name = new Option<string>("--name") { Description = "Name of the combined adapter", DefaultValueFactory = _ => "combined" };
        var output = new Option<string>("--output", "-o") { Description = "Folder for the combined adapter (new or empty)", Required = true };
        var device = CommonOptions.Device("cpu");
        var command = new Command("combine", "Combine several PEFT adapters into one (PEFT's add_weighted_adapter)")
        {
            model, adapters, method, weights, density, svdRank, svdClamp, majority, seed, name, output, device,
        };
        command.SetAction(parsed =>
        {
            var inputs = AdapterArgument.ParseAll(parsed.GetValue(adapters));
            var weightValues = ParseWeights(parsed.GetValue(weights), inputs.Count);
            var options = new CombinationOptions
            {
                Method = CombinationMethods.Parse(parsed.GetValue(method)!),
                Density = parsed.GetValue(density),
                SvdRank = parsed.GetValue(svdRank),
                SvdClamp = parsed.GetValue(svdClamp),
                MajoritySign = CombinationMethods.ParseMajoritySign(parsed.GetValue(majority)!),
                Seed = parsed.GetValue(seed),
            };
            options.Validate();
            var target = Path.GetFullPath(parsed.GetValue(output)!);
            if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
                throw new ArgumentException($"--output '{target}' is not empty; give a new or empty folder.");
            var adapterName = parsed.GetValue(name)!;

            using var session = ModelSession.Open(parsed.GetValue(model), parsed.GetValue(adapters), use: null, parsed.GetValue(device)!);
            var combined = AdapterCombiner.Combine(session.Model, [.. inputs.Select((a, i) => new WeightedAdapter(a.Name, weightValues[i]))], adapterName, options);
            AdapterWriter.Save(target, session.Model, combined, session.CheckpointDirectory);
            Console.WriteLine($"{CombinationMethods.PeftName(options.Method)} of {string.Join(", ", inputs.Select((a, i) => $"{a.Name}×{weightValues[i].ToString(CultureInfo.InvariantCulture)}"))}: " +
                $"{combined.Modules.Count} modules, r={combined.Options.Rank}, written to {target}");
            return 0;
        });
        return command;
    }

    static double[] ParseWeights(string? text, int count)
    {
        if (text is null) return [.. Enumerable.Repeat(1.0, count)];
        var values = text.Split(',', StringSplitOptions.TrimEntries).Select(s =>
            double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v
                : throw new ArgumentException($"--weights: '{s}' is not a number.")).ToArray();
        return values.Length == count ? values
            : throw new ArgumentException($"--weights has {values.Length} values for {count} adapters; give one per --adapter, in order.");
    }
}
