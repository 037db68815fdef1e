using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text;

namespace Molt.Cli.Patches;

/// <summary>A patch class that implements a kernel interface: it must keep it in its MethodTable.</summary>
public sealed record KernelInterfaceUse(string ClassName, string ClassStem, SigType Interface, int InterfaceMethods);

/// <summary>What the rule check learnt about a compiled patch.</summary>
public sealed record PatchFacts(IReadOnlyList<KernelInterfaceUse> KernelInterfaces, string EntryStem, string EntryMethod);

/// <summary>
/// The rules a patch follows (docs/patching.md, "Rules"), checked on the
/// csc output before ilc runs; each refusal names the type and member.
/// They come from how ilc compiles a kernel and a separate patch
/// (toolchain-facts.md, "Patch objects"):
/// 1. A patch type may implement a kernel interface only if it is generic
///    and every type argument is a reference type: the kernel's calls
///    through a non-generic interface can be devirtualized into type
///    compares that never reach a patch's class.
/// 2. A patch class may override a kernel virtual only if that virtual is
///    abstract (System.Object's virtuals excepted): a virtual with a body
///    can be sealed and inlined in the kernel, which then never calls the
///    override. So a kernel base class of a patch class must be abstract.
/// 3. Generic patch types may not implement kernel interfaces (the builder
///    could not name their instantiations to keep the interface alive).
/// 4. The entry: exactly one class PatchMain with
///    <c>public static bool Register()</c>.
/// </summary>
public static class PatchRules
{
    public const string EntryClass = "PatchMain";
    public const string EntryMethod = "Register";

    public static PatchFacts Check(string patchDll, string kernelDll, string systemModule)
    {
        using var patchPe = new PEReader(File.OpenRead(patchDll));
        using var kernelPe = new PEReader(File.OpenRead(kernelDll));
        MetadataReader p = patchPe.GetMetadataReader(), k = kernelPe.GetMetadataReader();
        string asm = p.GetString(p.GetAssemblyDefinition().Name);
        var types = new SignatureTypes(systemModule, asm);
        var kernelTypes = new Dictionary<string, TypeDefinitionHandle>();
        foreach (TypeDefinitionHandle h in k.TypeDefinitions)
            kernelTypes[types.GetTypeFromDefinition(k, h, 0).DefinitionName!] = h;

        var uses = new List<KernelInterfaceUse>();
        string? entryStem = null, entryName = null;
        foreach (TypeDefinitionHandle h in p.TypeDefinitions)
        {
            TypeDefinition def = p.GetTypeDefinition(h);
            SigType self = types.GetTypeFromDefinition(p, h, 0);
            if (self.DefinitionName == "<Module>") continue;
            string cls = self.Display;

            // 1 and 3: kernel interfaces, on classes and structs (a patch
            // interface extending a kernel one is checked where a class implements it).
            bool isInterface = (def.Attributes & TypeAttributes.Interface) != 0;
            foreach (InterfaceImplementationHandle ih in def.GetInterfaceImplementations())
            {
                if (isInterface) break;
                SigType iface = Decode(p, types, p.GetInterfaceImplementation(ih).Interface);
                if (!iface.IsKernel) continue;
                if (!iface.IsGeneric)
                    throw new CliError($"patch rule: {cls} implements the non-generic kernel interface {iface.Display}; a patch may implement only generic kernel interfaces over reference types (the kernel's calls through a non-generic interface may be devirtualized and never reach a patch)");
                if (iface.Arguments.FirstOrDefault(a => a.IsValueType || a.IsGenericParameter) is { } bad)
                    throw new CliError($"patch rule: {cls} implements the kernel interface {iface.Display} over {(bad.IsGenericParameter ? "a type parameter" : "the value type " + bad.Display)}; kernel interfaces a patch implements must have reference-type arguments");
                if (def.GetGenericParameters().Count > 0)
                    throw new CliError($"patch rule: the generic class {cls} implements the kernel interface {iface.Display}; only non-generic patch classes may implement kernel interfaces");
                int methods = kernelTypes.TryGetValue(iface.DefinitionName!, out TypeDefinitionHandle kid)
                    ? k.GetTypeDefinition(kid).GetMethods().Count(m => (k.GetMethodDefinition(m).Attributes & MethodAttributes.Static) == 0)
                    : 0;
                uses.Add(new KernelInterfaceUse(cls, self.Stem, iface, methods));
            }

            // 2: overrides of kernel virtuals.
            var chain = CheckOverrides(p, k, types, kernelTypes, def, cls);

            // 1 again, for interfaces the class inherits from a kernel base
            // class (KvStore : IKvEntries<KvTable>): ilc leaves those out of the
            // patch class's MethodTable too unless the patch uses them.
            if (!isInterface)
                foreach (var (reader, baseDef, _) in chain)
                {
                    if (reader != k || baseDef.GetGenericParameters().Count > 0) continue;
                    foreach (InterfaceImplementationHandle ih in baseDef.GetInterfaceImplementations())
                    {
                        SigType iface = Decode(k, types, k.GetInterfaceImplementation(ih).Interface);
                        if (!iface.IsGeneric || iface.Arguments.Any(a => a.IsValueType || a.IsGenericParameter)) continue;
                        if (uses.Any(u => u.ClassName == cls && u.Interface.Display == iface.Display)) continue;
                        // The kernel base's dispatch map serves the inherited interface (the
                        // runtime walks base types), so no entries are required here: 0 methods.
                        uses.Add(new KernelInterfaceUse(cls, self.Stem, iface, 0));
                    }
                }

            // 4: the entry method.
            if (p.GetString(def.Name) == EntryClass)
            {
                if (entryStem != null) throw new CliError($"patch rule: two classes named {EntryClass} ({entryName} and {cls}); the entry class must be unique");
                MethodDefinition? register = null;
                foreach (MethodDefinitionHandle mh in def.GetMethods())
                {
                    MethodDefinition m = p.GetMethodDefinition(mh);
                    if (p.GetString(m.Name) == EntryMethod) register = m;
                }
                if (register is not { } r)
                    throw new CliError($"patch rule: {cls} has no method {EntryMethod}; the entry is public static bool {EntryMethod}()");
                MethodSignature<SigType> sig = r.DecodeSignature(types, null);
                bool isPublicStatic = (r.Attributes & MethodAttributes.Static) != 0 && (r.Attributes & MethodAttributes.MemberAccessMask) == MethodAttributes.Public;
                if (!isPublicStatic || sig.ParameterTypes.Length != 0 || sig.ReturnType.Display != "bool" || sig.GenericParameterCount != 0)
                    throw new CliError($"patch rule: {cls}.{EntryMethod} must be declared public static bool {EntryMethod}()");
                entryStem = self.Stem + "__" + EntryMethod;
                entryName = cls + "." + EntryMethod;
            }
        }
        if (entryStem == null)
            throw new CliError($"patch rule: no class {EntryClass} with public static bool {EntryMethod}(): the kernel calls it to register the patch's factories and versions");
        return new PatchFacts(uses, entryStem, entryName!);
    }

    private static SigType Decode(MetadataReader r, SignatureTypes types, EntityHandle h) => h.Kind switch
    {
        HandleKind.TypeDefinition => types.GetTypeFromDefinition(r, (TypeDefinitionHandle)h, 0),
        HandleKind.TypeReference => types.GetTypeFromReference(r, (TypeReferenceHandle)h, 0),
        HandleKind.TypeSpecification => types.GetTypeFromSpecification(r, null, (TypeSpecificationHandle)h, 0),
        _ => throw new CliError($"unexpected type handle kind {h.Kind}"),
    };

    /// <summary>Walks the base chain from a patch class: patch bases first, then kernel ones.</summary>
    private static List<(MetadataReader Reader, TypeDefinition Def, SigType Type)> CheckOverrides(MetadataReader p, MetadataReader k, SignatureTypes types,
        Dictionary<string, TypeDefinitionHandle> kernelTypes, TypeDefinition def, string cls)
    {
        // The first kernel ancestor: abstract, or System.Object/ValueType/Enum/delegates.
        SigType? firstKernel = null;
        var chain = new List<(MetadataReader Reader, TypeDefinition Def, SigType Type)>();
        EntityHandle baseHandle = def.BaseType;
        MetadataReader current = p;
        while (!baseHandle.IsNil)
        {
            SigType b = Decode(current, types, baseHandle);
            if (!b.IsKernel && current == p && baseHandle.Kind == HandleKind.TypeDefinition)
            {
                TypeDefinition bd = p.GetTypeDefinition((TypeDefinitionHandle)baseHandle);
                chain.Add((p, bd, b));
                baseHandle = bd.BaseType;
                continue;
            }
            if (!b.IsKernel && current == p)
            {
                // A generic patch base: look at its definition.
                if (b.DefinitionName != null && FindPatchType(p, types, b.DefinitionName) is { } pd)
                {
                    TypeDefinition bd = p.GetTypeDefinition(pd);
                    chain.Add((p, bd, b));
                    baseHandle = bd.BaseType;
                    continue;
                }
                break;
            }
            // A kernel type: continue in the kernel's metadata.
            if (b.DefinitionName == null || !kernelTypes.TryGetValue(b.DefinitionName, out TypeDefinitionHandle kh))
                throw new CliError($"{cls} derives from {b.Display}, which the kernel assembly does not define");
            TypeDefinition kd = k.GetTypeDefinition(kh);
            firstKernel ??= b;
            if (chain.All(c => c.Reader == p) && b == firstKernel)
            {
                bool isAbstract = (kd.Attributes & TypeAttributes.Abstract) != 0;
                if (!isAbstract && b.DefinitionName != "System.Object")
                    throw new CliError($"patch rule: {cls} derives from the kernel class {b.Display}, which is not abstract; a patch class derives from an abstract kernel class or from object");
            }
            chain.Add((k, kd, b));
            current = k;
            baseHandle = kd.BaseType;
        }

        foreach (MethodDefinitionHandle mh in def.GetMethods())
        {
            MethodDefinition m = p.GetMethodDefinition(mh);
            bool isOverride = (m.Attributes & MethodAttributes.Virtual) != 0 && (m.Attributes & MethodAttributes.NewSlot) == 0;
            if (!isOverride) continue;
            string name = p.GetString(m.Name);
            int paramCount = m.DecodeSignature(types, null).ParameterTypes.Length;
            foreach (var (reader, baseDef, baseType) in chain)
            {
                MethodDefinition? found = null;
                foreach (MethodDefinitionHandle bh in baseDef.GetMethods())
                {
                    MethodDefinition bm = reader.GetMethodDefinition(bh);
                    if ((bm.Attributes & MethodAttributes.Virtual) == 0 || reader.GetString(bm.Name) != name) continue;
                    if (bm.DecodeSignature(types, null).ParameterTypes.Length != paramCount) continue;
                    found = bm;
                    break;
                }
                if (found is not { } f) continue;
                if (reader == p) break; // overrides a patch method: no kernel rule applies
                if ((f.Attributes & MethodAttributes.Abstract) != 0) break;
                if (IsObjectVirtual(name, paramCount)) break;
                throw new CliError($"patch rule: {cls}.{name} overrides the kernel virtual {baseType.Display}.{name}, which has a body; a patch overrides only abstract kernel methods (make it abstract in the kernel)");
            }
        }
        return chain;
    }

    private static bool IsObjectVirtual(string name, int paramCount) =>
        (name, paramCount) is ("ToString", 0) or ("GetHashCode", 0) or ("Equals", 1) or ("Finalize", 0);

    private static TypeDefinitionHandle? FindPatchType(MetadataReader p, SignatureTypes types, string definitionName)
    {
        foreach (TypeDefinitionHandle h in p.TypeDefinitions)
            if (types.GetTypeFromDefinition(p, h, 0).DefinitionName == definitionName) return h;
        return null;
    }

    /// <summary>
    /// Source that uses every kernel interface a patch class implements
    /// (<c>o is I</c>): without a use in the patch's own code, ilc leaves the
    /// interface out of the class's MethodTable and the kernel's casts and
    /// calls fail (toolchain-facts.md).
    /// </summary>
    public static string KeepInterfacesSource(IReadOnlyList<KernelInterfaceUse> uses)
    {
        var sb = new StringBuilder();
        sb.Append("// Generated by molt patch build: keeps each kernel interface a patch class implements in that class's MethodTable.\n");
        sb.Append("namespace MoltPatchGenerated\n{\n    internal static class KeepKernelInterfaces\n    {\n");
        sb.Append("        public static int Use(object o)\n        {\n            int n = 0;\n");
        foreach (string cs in uses.Select(u => u.Interface.CSharp).Distinct().Order(StringComparer.Ordinal))
            sb.Append("            if (o is ").Append(cs).Append(") n++;\n");
        sb.Append("            return n;\n        }\n    }\n}\n");
        return sb.ToString();
    }
}
