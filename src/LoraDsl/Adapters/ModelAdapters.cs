using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Adapters;

/// <summary>
/// The named LoRA adapters on one model, as PEFT manages them (<c>load_adapter</c>, <c>set_adapter</c>,
/// <c>disable_adapter</c>, <c>delete_adapter</c>, <c>active_adapters</c>, <c>adapter_names</c>). The layers hold
/// the state (which adapters, which are active, merged, enabled); this is the one model-wide view of it, so an
/// adapter placed by <see cref="LoraInjector"/> shows here too. One instance per model: <see cref="Of"/>.
/// </summary>
public sealed partial class ModelAdapters
{
    /// <summary>The row name that means "no adapter" in <see cref="PerRow"/> (PEFT's <c>"__base__"</c>).</summary>
    public const string BaseName = "__base__";

    static readonly ConditionalWeakTable<PretrainedModel, ModelAdapters> instances = new();

    readonly List<string> loadOrder = [];
    readonly Dictionary<string, LoadedFrom> sources = new(StringComparer.Ordinal);

    ModelAdapters(PretrainedModel model) => Model = model;

    /// <summary>Where an adapter came from, and the model parameters it overwrote (modules_to_save, biases).</summary>
    sealed record LoadedFrom(string? Directory, LoraOptions Options, IReadOnlyList<string> ModulesToSave, LoraBias Bias);

    /// <summary>The adapters of <paramref name="model"/> (the same instance every time).</summary>
    public static ModelAdapters Of(PretrainedModel model) => instances.GetValue(model, m => new ModelAdapters(m));

    public PretrainedModel Model { get; }

    /// <summary>Every adapter on the model, in the order they were loaded or placed.</summary>
    public IReadOnlyList<string> Names
    {
        get
        {
            var present = Layers().SelectMany(l => l.Layer.Adapters.Keys).Distinct().ToList();
            return [.. present.OrderBy(n => loadOrder.IndexOf(n) is var i and >= 0 ? i : int.MaxValue).ThenBy(present.IndexOf)];
        }
    }

    /// <summary>The adapters forward applies (their outputs add up), in <see cref="Names"/> order.</summary>
    public IReadOnlyList<string> Active
    {
        get
        {
            var active = Layers().SelectMany(l => l.Layer.ActiveAdapters).ToHashSet(StringComparer.Ordinal);
            return [.. Names.Where(active.Contains)];
        }
    }

    /// <summary>False inside a <see cref="Disable"/> scope: forward is the base model alone.</summary>
    public bool Enabled => Layers().All(l => l.Layer.AdaptersEnabled);

    /// <summary>
    /// Loads the PEFT adapter folder <paramref name="directory"/> under <paramref name="name"/>. Its modules,
    /// ranks and alphas need not match the other adapters'. Everything is checked first: a file that does not
    /// fit the model is one <see cref="AdapterMismatchException"/> and the model is left as it was. The active
    /// adapters stay as they were; the first adapter on a model becomes active.
    /// </summary>
    public LoraInjection Load(string name, string directory)
    {
        RequireNewName(name);
        var config = AdapterConfig.Read(Path.Combine(directory, AdapterFiles.ConfigFile));
        RequireNoParameterConflict(name, config.ModulesToSave ?? [], config.Bias, directory);
        var active = Active;
        var injection = AdapterReader.Load(directory, Model, name);
        Record(name, new LoadedFrom(Path.GetFullPath(directory), injection.Options, injection.ModulesToSave, config.Bias), active);
        return injection;
    }

    /// <summary>
    /// Adds an adapter made from given weights (a combination of others, or weights trained elsewhere), one
    /// entry per module. Shapes are checked against the base first; nothing changes when one does not fit.
    /// </summary>
    public LoraInjection Add(string name, IReadOnlyList<AdapterModuleWeights> modules)
    {
        RequireNewName(name);
        if (modules.Count == 0) throw new ArgumentException($"Adapter '{name}' needs at least one module.");
        var plans = new List<AdapterReader.ModulePlan>();
        foreach (var m in modules)
        {
            var options = m.Options with { AdapterName = name, ModulesToSave = [], Bias = LoraBias.None };
            options.Validate();
            if (options.UseDora)
                throw new AdapterMismatchException($"Adapter '{name}', module '{m.Path}': DoRA adapters cannot be added from A and B alone (the magnitude is missing).");
            var baseLayer = BaseOf(name, m.Path);
            RequireShape(name, m.Path, "A", m.A, [options.Rank, baseLayer.InFeatures], baseLayer);
            RequireShape(name, m.Path, "B", m.B, [baseLayer.OutFeatures, options.Rank], baseLayer);
            plans.Add(new AdapterReader.ModulePlan(m.Path, options, [], m.A, m.B, new Dictionary<string, Tensor>()));
        }
        foreach (var group in plans.GroupBy(p => p.Path).Where(g => g.Count() > 1))
            throw new ArgumentException($"Adapter '{name}': module '{group.Key}' is given {group.Count()} times.");
        var active = Active;
        var injection = AdapterReader.Apply(Model, plans[0].Options, new AdapterReader.LoadPlan(plans, []));
        Record(name, new LoadedFrom(null, injection.Options, [], LoraBias.None), active);
        return injection;
    }

    /// <summary>Makes <paramref name="names"/> the active adapters (PEFT's <c>set_adapter</c>); several add up.</summary>
    public void SetActive(params string[] names)
    {
        if (names.Length == 0) throw new ArgumentException("Name at least one adapter to activate; to run the base alone use Disable().");
        RequireExisting(names);
        foreach (var (_, layer) in Layers())
            layer.SetActiveAdapters([.. names.Where(layer.Adapters.ContainsKey)]);
    }

    /// <summary>Runs the base model alone until the scope is disposed (PEFT's <c>with model.disable_adapter():</c>).</summary>
    public IDisposable Disable()
    {
        var layers = Layers().Select(l => (l.Layer, l.Layer.AdaptersEnabled)).ToList();
        foreach (var (layer, _) in layers) layer.AdaptersEnabled = false;
        return new Scope(() =>
        {
            foreach (var (layer, enabled) in layers) layer.AdaptersEnabled = enabled;
        });
    }

    /// <summary>
    /// A mixed batch until the scope is disposed (PEFT's <c>adapter_names</c>): row i of every batch uses
    /// adapter <paramref name="rowAdapters"/>[i] alone, or the base for <see cref="BaseName"/>.
    /// </summary>
    public IDisposable PerRow(IReadOnlyList<string> rowAdapters)
    {
        RequireExisting([.. rowAdapters.Where(n => n != BaseName).Distinct()]);
        string?[] rows = [.. rowAdapters.Select(n => n == BaseName ? null : n)];
        var layers = Layers().Select(l => l.Layer).ToList();
        foreach (var layer in layers) layer.RowAdapterNames = rows;
        return new Scope(() =>
        {
            foreach (var layer in layers) layer.RowAdapterNames = null;
        });
    }

    /// <summary>
    /// Removes an adapter from every module and frees its tensors (PEFT's <c>delete_adapter</c>); a module left
    /// without adapters gets its plain base module back. When no active adapter is left, the first remaining one
    /// becomes active, as in PEFT. Model parameters the adapter overwrote (modules_to_save) keep its values.
    /// </summary>
    public void Delete(string name)
    {
        RequireExisting([name]);
        var active = Active.Where(n => n != name).ToArray();
        foreach (var (path, layer) in Layers().ToList())
        {
            if (!layer.Adapters.ContainsKey(name)) continue;
            if (layer.RemoveAdapter(name)) ModuleSurgery.Replace(Model, path, _ => layer.Base.Module);
        }
        loadOrder.Remove(name);
        sources.Remove(name);
        var remaining = Names;
        if (remaining.Count > 0) SetActive(active.Length > 0 ? active : [remaining[0]]);
    }

    /// <summary>Folds adapters (default: the active ones) into the base weights; outputs stay the same.</summary>
    public void Merge(params string[] names)
    {
        RequireExisting(names);
        TiedWeightMerge.Untie(Model, names);
        foreach (var (_, layer) in Layers())
        {
            var here = names.Length == 0 ? [.. layer.ActiveAdapters] : names.Where(layer.Adapters.ContainsKey).ToArray();
            if (here.Length > 0) layer.Merge(here);
        }
    }

    /// <summary>Takes every merged adapter back out of the base weights.</summary>
    public void Unmerge()
    {
        foreach (var (_, layer) in Layers()) layer.Unmerge();
    }

    /// <summary>The modules one adapter sits on, with its A, B and scaling there, in model order.</summary>
    public IReadOnlyList<AdaptedModule> Modules(string name)
    {
        RequireExisting([name]);
        return [.. Layers().Where(l => l.Layer.Adapters.ContainsKey(name)).Select(l => new AdaptedModule(l.Path, l.Layer, l.Layer.Adapters[name]))];
    }

    /// <summary>One adapter as an injection, e.g. to save it with <see cref="AdapterWriter.Save"/>.</summary>
    public LoraInjection Injection(string name)
    {
        var modules = Modules(name);
        return sources.TryGetValue(name, out var source)
            ? new LoraInjection(source.Options, modules, source.ModulesToSave)
            : new LoraInjection(modules[0].Adapter.Options with { AdapterName = name }, modules, modules[0].Adapter.Options.ModulesToSave);
    }

    /// <summary>Name, modules, ranks, alphas, parameter count and state of every adapter, in <see cref="Names"/> order.</summary>
    public IReadOnlyList<AdapterSummary> Describe()
    {
        var active = Active;
        return [.. Names.Select(name =>
        {
            var modules = Modules(name);
            return new AdapterSummary(
                name,
                [.. modules.Select(m => m.Path)],
                [.. modules.Select(m => m.Rank).Distinct().Order()],
                [.. modules.Select(m => m.Adapter.Options.Alpha).Distinct().Order()],
                string.Join("/", modules.Select(m => m.Adapter.Variant.Name).Distinct()),
                modules.Sum(m => m.Adapter.parameters().Sum(p => p.numel())),
                active.Contains(name),
                modules.Any(m => m.Layer.MergedAdapters.Contains(name)),
                sources.TryGetValue(name, out var source) ? source.Directory : null);
        })];
    }

    /// <summary>
    /// Checks an adapter name: letters, digits, '_' and '-', and neither <see cref="BaseName"/> nor "base"
    /// (the CLI's word for "no adapter").
    /// </summary>
    public static void ValidateName(string name)
    {
        if (!AdapterNamePattern().IsMatch(name))
            throw new ArgumentException($"Adapter name '{name}' is not valid: use letters, digits, '_' and '-' (it becomes a state-dict key).");
        if (name is BaseName or "base")
            throw new ArgumentException($"Adapter name '{name}' is reserved: it means the base model without adapters.");
    }

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex AdapterNamePattern();

    IEnumerable<(string Path, LoraLinear Layer)> Layers() =>
        Model.named_modules().Where(m => m.module is LoraLinear).Select(m => (m.name, (LoraLinear)m.module));

    void Record(string name, LoadedFrom source, IReadOnlyList<string> activeBefore)
    {
        loadOrder.Add(name);
        sources[name] = source;
        // A newly placed adapter is active only where it is the module's first; restore the model-wide choice.
        SetActive(activeBefore.Count > 0 ? [.. activeBefore] : [name]);
    }

    void RequireNewName(string name)
    {
        ValidateName(name);
        if (Names.Contains(name))
            throw new ArgumentException($"The model already has an adapter named '{name}' (has: {string.Join(", ", Names)}); delete it first or choose another name.");
    }

    void RequireExisting(IReadOnlyCollection<string> names)
    {
        var all = Names;
        foreach (var name in names)
            if (!all.Contains(name))
                throw new ArgumentException($"The model has no adapter named '{name}' (has: {(all.Count == 0 ? "none" : string.Join(", ", all))}).");
    }

    /// <summary>Two adapters that both replace a module (modules_to_save) or the biases would overwrite each other's weights.</summary>
    void RequireNoParameterConflict(string name, IReadOnlyList<string> modulesToSave, LoraBias bias, string directory)
    {
        foreach (var (other, source) in sources)
        {
            if (!Names.Contains(other)) continue;
            var shared = modulesToSave.Intersect(source.ModulesToSave.Select(p => p[(p.LastIndexOf('.') + 1)..]).Concat(source.ModulesToSave)).ToList();
            if (shared.Count > 0)
                throw new AdapterMismatchException(
                    $"Adapter '{name}' ('{directory}') trains module '{shared[0]}' in full (modules_to_save), as adapter '{other}' does: " +
                    "one model holds one copy of that module, so the two cannot be loaded together.");
            if (bias != LoraBias.None && source.Bias != LoraBias.None)
                throw new AdapterMismatchException(
                    $"Adapter '{name}' ('{directory}') trains biases (bias '{bias}'), as adapter '{other}' does: the two would overwrite each other's biases.");
        }
    }

    LoraBaseLayer BaseOf(string name, string path)
    {
        if (!ModuleSurgery.Exists(Model, path))
            throw new AdapterMismatchException($"Adapter '{name}': module '{path}' is not in {Model.GetType().Name}.");
        return ModuleSurgery.Find(Model, path) switch
        {
            LoraLinear wrapped => wrapped.Base,
            nn.Module<Tensor, Tensor> layer => Wrappable(name, layer, path),
            var other => throw new AdapterMismatchException($"Adapter '{name}': module '{path}' is a {other.GetType().Name}, which LoRA cannot wrap."),
        };
    }

    static LoraBaseLayer Wrappable(string name, nn.Module<Tensor, Tensor> layer, string path)
    {
        try
        {
            return LoraBaseLayer.Of(layer, path);
        }
        catch (ModuleNotFoundException e)
        {
            throw new AdapterMismatchException($"Adapter '{name}': {e.Message}");
        }
    }

    static void RequireShape(string name, string path, string which, Tensor value, long[] expected, LoraBaseLayer baseLayer)
    {
        if (!value.shape.SequenceEqual(expected))
            throw new AdapterMismatchException(
                $"Adapter '{name}', module '{path}': lora_{which} has shape [{string.Join(", ", value.shape)}], expected [{string.Join(", ", expected)}] " +
                $"(the module is {baseLayer.InFeatures}->{baseLayer.OutFeatures}).");
    }

    sealed class Scope(Action restore) : IDisposable
    {
        bool disposed;

        public void Dispose()
        {
            if (disposed) return;
            disposed = true;
            restore();
        }
    }
}
