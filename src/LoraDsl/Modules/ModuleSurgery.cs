using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Modules;

/// <summary>Finds and replaces modules by their Hugging Face path ("model.layers.3.self_attn.q_proj").</summary>
internal static class ModuleSurgery
{
    /// <summary>The module at <paramref name="path"/>, walking registered children segment by segment.</summary>
    public static nn.Module Find(nn.Module root, string path)
    {
        var current = root;
        foreach (var segment in path.Split('.'))
        {
            current = ChildOrNull(current, segment)
                ?? throw new ModuleNotFoundException(
                    $"Module '{path}' not found: '{segment}' is not a child of '{current.GetName()}' " +
                    $"(children: {string.Join(", ", current.named_children().Select(c => c.name))}).");
        }
        return current;
    }

    /// <summary>True when <paramref name="path"/> names a module of <paramref name="root"/>.</summary>
    public static bool Exists(nn.Module root, string path)
    {
        var current = root;
        foreach (var segment in path.Split('.'))
        {
            current = ChildOrNull(current, segment);
            if (current is null) return false;
        }
        return true;
    }

    /// <summary>
    /// Replaces the module at <paramref name="path"/> with <c>wrap(old)</c> and returns the new module.
    /// The parent must implement <see cref="IModuleHost"/>.
    /// </summary>
    public static T Replace<T>(nn.Module root, string path, Func<nn.Module<Tensor, Tensor>, T> wrap)
        where T : nn.Module<Tensor, Tensor>
    {
        var split = path.LastIndexOf('.');
        var parent = split < 0 ? root : Find(root, path[..split]);
        var name = split < 0 ? path : path[(split + 1)..];
        if (parent is not IModuleHost host)
            throw new ModuleNotFoundException(
                $"Module '{path}' cannot be replaced: its parent {parent.GetType().Name} does not implement IModuleHost.");
        if (ChildOrNull(parent, name) is null)
            throw new ModuleNotFoundException($"Module '{path}' not found in {root.GetType().Name}.");
        var replacement = wrap(host.GetChild(name));
        host.ReplaceChild(name, replacement);
        return replacement;
    }

    static nn.Module? ChildOrNull(nn.Module parent, string name)
    {
        foreach (var (childName, child) in parent.named_children())
            if (childName == name) return child;
        return null;
    }
}
