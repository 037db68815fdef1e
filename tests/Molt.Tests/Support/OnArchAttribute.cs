using System.Reflection;
using Molt.QemuRunner;
using Xunit.Sdk;

namespace Molt.Tests.Support;

/// <summary>
/// One row of a kernel theory: the architecture to boot, skipped with the
/// reason when that architecture's kernels are not built or its QEMU is
/// missing. A system test written once takes one row per architecture:
/// <code>[Theory, OnArch(QemuArch.X64), OnArch(QemuArch.Arm64)]</code>
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class OnArchAttribute : DataAttribute
{
    private readonly object[] _row;

    /// <summary>A row passing <paramref name="arch"/>, then <paramref name="more"/>.</summary>
    public OnArchAttribute(QemuArch arch, params object[] more)
    {
        _row = [arch, .. more];
        Skip = Repo.KernelUnavailable(arch);
    }

    /// <inheritdoc />
    public override IEnumerable<object[]> GetData(MethodInfo testMethod) => [_row];
}
