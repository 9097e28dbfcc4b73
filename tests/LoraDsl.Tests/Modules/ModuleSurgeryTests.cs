using LoraDsl.Modules;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Modules;

public class ModuleSurgeryTests
{
    sealed class Host : nn.Module<Tensor, Tensor>, IModuleHost
    {
        nn.Module<Tensor, Tensor> proj;

        public Host() : base("host")
        {
            proj = nn.Linear(4, 3);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => proj.call(x);

        public nn.Module<Tensor, Tensor> GetChild(string name) =>
            name == "proj" ? proj : throw new ModuleNotFoundException(name);

        public nn.Module<Tensor, Tensor> ReplaceChild(string name, nn.Module<Tensor, Tensor> replacement)
        {
            var old = GetChild(name);
            this.SwapRegisteredChild(name, replacement);
            proj = replacement;
            return old;
        }
    }

    sealed class Doubled(nn.Module<Tensor, Tensor> inner) : nn.Module<Tensor, Tensor>("doubled")
    {
        public override Tensor forward(Tensor x) => inner.call(x) * 2;
    }

    sealed class Root : nn.Module<Tensor, Tensor>
    {
        readonly ModuleList<Host> layers = new(new Host(), new Host());

        public Root() : base("root") => RegisterComponents();

        public override Tensor forward(Tensor x) => layers[1].call(layers[0].call(x)[.., ..3].repeat(1, 2)[.., ..4]);
    }

    [Fact]
    public void Replace_swaps_the_module_that_forward_uses()
    {
        var root = new Root();
        using var x = randn(2, 4);
        var host = (Host)ModuleSurgery.Find(root, "layers.1");
        using var before = host.call(x);
        ModuleSurgery.Replace(root, "layers.1.proj", old => new Doubled(old));
        using var after = host.call(x);
        Assert.True(after.allclose(before * 2));
        Assert.IsType<Doubled>(ModuleSurgery.Find(root, "layers.1.proj"));
    }

    [Fact]
    public void Missing_path_names_the_segment()
    {
        var root = new Root();
        var e = Assert.Throws<ModuleNotFoundException>(() => ModuleSurgery.Find(root, "layers.1.q_proj"));
        Assert.Contains("q_proj", e.Message);
        Assert.Contains("proj", e.Message);
    }
}
