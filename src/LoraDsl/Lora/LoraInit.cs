namespace LoraDsl.Lora;

/// <summary>PEFT's <c>init_lora_weights</c>.</summary>
public enum LoraInit
{
    /// <summary>true: A kaiming-uniform (a = sqrt 5), B zeros.</summary>
    Default,

    /// <summary>"gaussian": A ~ N(0, 1/r), B zeros.</summary>
    Gaussian,
}
