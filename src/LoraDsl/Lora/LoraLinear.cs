using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Lora;

/// <summary>
/// A frozen Linear or Conv1D plus named LoRA adapters: y = base(x) + Σ over active adapters of
/// their variant's output (s·B(A(dropout(x))) for plain LoRA), added to the adapter's output rows.
/// State-dict layout: <c>base_layer.weight</c>, <c>lora.&lt;adapter&gt;.lora_A</c>, <c>lora.&lt;adapter&gt;.lora_B</c>.
/// </summary>
public sealed class LoraLinear : nn.Module<Tensor, Tensor>
{
    /// <param name="baseLayer">The module to wrap.</param>
    /// <param name="path">Its path in the model, for error messages.</param>
    public LoraLinear(nn.Module<Tensor, Tensor> baseLayer, string path) : base("LoraLinear")
    {
        Path = path;
        Base = LoraBaseLayer.Of(baseLayer, path);
        base_layer = baseLayer;
        lora = new AdapterSet();
        RegisterComponents();
    }

    /// <summary>The wrapped module's path in the model ("model.layers.0.self_attn.q_proj").</summary>
    public string Path { get; }

    public LoraBaseLayer Base { get; private set; }

    public IReadOnlyDictionary<string, LoraAdapter> Adapters => lora.Adapters;

    /// <summary>Adapters that forward adds, in order; "default" after the first <see cref="AddAdapter"/>.</summary>
    public IReadOnlyList<string> ActiveAdapters => active;

    /// <summary>Adapters currently folded into the base weight, in merge order.</summary>
    public IReadOnlyList<string> MergedAdapters => merged;

    public bool IsMerged => merged.Count > 0;

    /// <summary>When false, forward is the base layer alone (PEFT's disable_adapter).</summary>
    public bool AdaptersEnabled { get; set; } = true;

    readonly nn.Module<Tensor, Tensor> base_layer;
    readonly AdapterSet lora;
    readonly List<string> active = [];
    readonly List<string> merged = [];

    /// <summary>Adds an adapter on one output range (or all rows); the first one added becomes active.</summary>
    public LoraAdapter AddAdapter(string name, LoraOptions options, OutputSlice? slice = null, ILoraVariant? variant = null) =>
        AddAdapter(name, options, slice is { } s ? OutputRows.Of([s], Base.OutFeatures, Path) : null, variant);

    /// <summary>Adds an adapter on several output ranges (null = all rows); the first one added becomes active.</summary>
    public LoraAdapter AddAdapter(string name, LoraOptions options, OutputRows? rows, ILoraVariant? variant)
    {
        if (lora.Adapters.ContainsKey(name))
            throw new ArgumentException($"Module '{Path}' already has an adapter named '{name}'.");
        variant ??= options.UseDora ? DoraVariant.Instance : StandardLora.Instance;
        var adapter = new LoraAdapter(name, Base, options, rows, variant);
        lora.Add(name, adapter);
        if (active.Count == 0) active.Add(name);
        return adapter;
    }

    /// <summary>Chooses which adapters forward applies (several are summed).</summary>
    public void SetActiveAdapters(params string[] names)
    {
        foreach (var name in names)
            if (!lora.Adapters.ContainsKey(name))
                throw new ArgumentException($"Module '{Path}' has no adapter named '{name}' (has: {string.Join(", ", lora.Adapters.Keys)}).");
        active.Clear();
        active.AddRange(names);
    }

    public override Tensor forward(Tensor x)
    {
        var result = base_layer.call(x);
        if (!AdaptersEnabled || IsMerged || active.Count == 0) return result;
        Tensor output;
        using (NewDisposeScope())
        {
            // Variants that can (plain LoRA) run in the base's dtype, their fp32 weights cast on the way in
            // as torch.autocast would; the others (DoRA's norms) run in fp32.
            var lowPrecision = result.dtype != ScalarType.Float32 && active.All(name => lora.Adapters[name].Variant.RunsInComputeDtype);
            var branchDtype = lowPrecision ? result.dtype : ScalarType.Float32;
            var input = x.dtype == branchDtype ? x.alias() : x.to(branchDtype);
            var baseOutput = result.dtype == branchDtype ? result : result.to(branchDtype);
            var sum = baseOutput;
            foreach (var name in active)
            {
                var adapter = lora.Adapters[name];
                sum = adapter.Variant.AddTo(sum, adapter, Base, input, baseOutput);
            }
            output = (sum.dtype == result.dtype ? sum : sum.to(result.dtype)).MoveToOuterDisposeScope();
        }
        result.Dispose();
        return output;
    }

    /// <summary>Views the wrapped module again after its parameters were replaced (e.g. converted to fp32 master weights).</summary>
    internal void RefreshBase() => Base = LoraBaseLayer.Of(base_layer, Path);

    /// <summary>Folds the given adapters (default: the active ones) into the base weight: W += s·BA.</summary>
    public void Merge(params string[] names)
    {
        if (names.Length == 0) names = [.. active];
        using var _ = no_grad();
        foreach (var name in names)
        {
            if (merged.Contains(name)) continue;
            var adapter = lora.Adapters.TryGetValue(name, out var a) ? a
                : throw new ArgumentException($"Module '{Path}' has no adapter named '{name}'.");
            using var weight = Base.WeightOutIn();
            using var updated = adapter.Variant.Merge(adapter, weight);
            Base.SetWeightOutIn(updated);
            merged.Add(name);
        }
    }

    /// <summary>Restores the base weight by undoing every merge, newest first.</summary>
    public void Unmerge()
    {
        using var _ = no_grad();
        for (int i = merged.Count - 1; i >= 0; i--)
        {
            var adapter = lora.Adapters[merged[i]];
            using var weight = Base.WeightOutIn();
            using var restored = adapter.Variant.Unmerge(adapter, weight);
            Base.SetWeightOutIn(restored);
        }
        merged.Clear();
    }

    /// <summary>Merges the active adapters and returns the plain base module to put back in the model.</summary>
    public nn.Module<Tensor, Tensor> MergeAndUnwrap()
    {
        if (!IsMerged) Merge();
        return base_layer;
    }

    // Registers adapters as children under their names, so state-dict keys read lora.<name>.lora_A.
    sealed class AdapterSet() : nn.Module("lora")
    {
        readonly Dictionary<string, LoraAdapter> adapters = [];

        public IReadOnlyDictionary<string, LoraAdapter> Adapters => adapters;

        public void Add(string name, LoraAdapter adapter)
        {
            register_module(name, adapter);
            adapters.Add(name, adapter);
        }
    }
}
