using LoraDsl.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Lora.TestModels;

/// <summary>A test module whose named swappable can be swapped, as the real models' blocks allow.</summary>
abstract class SwappableHost(string name) : nn.Module<Tensor, Tensor>(name), IModuleHost
{
    readonly Dictionary<string, nn.Module<Tensor, Tensor>> swappable = [];

    protected void Add(string name, nn.Module<Tensor, Tensor> module)
    {
        register_module(name, module);
        swappable[name] = module;
    }

    protected Tensor Call(string name, Tensor x) => swappable[name].call(x);

    public nn.Module<Tensor, Tensor> GetChild(string name) =>
        swappable.TryGetValue(name, out var child) ? child : throw new ModuleNotFoundException($"{GetName()} has no child '{name}'.");

    public nn.Module<Tensor, Tensor> ReplaceChild(string name, nn.Module<Tensor, Tensor> replacement)
    {
        var old = GetChild(name);
        this.SwapRegisteredChild(name, replacement);
        swappable[name] = replacement;
        return old;
    }
}
