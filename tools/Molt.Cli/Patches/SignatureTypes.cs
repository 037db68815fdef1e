using System.Collections.Immutable;
using System.Reflection.Metadata;

namespace Molt.Cli.Patches;

/// <summary>
/// A type as a patch's metadata names it: enough to apply the patch rules
/// (is it the kernel's? a value type?) and to write it back as C# source.
/// </summary>
public sealed record SigType(
    string Display,          // System.IComparable<object>
    string CSharp,           // global::System.IComparable<object>
    string Stem,             // molt_System_IComparable_1 (ilc's symbol stem; no type arguments)
    string? DefinitionName,  // System.IComparable`1 (metadata name of the named type or generic definition)
    bool IsKernel,
    bool IsValueType,
    bool IsGeneric,
    bool IsGenericParameter,
    ImmutableArray<SigType> Arguments);

/// <summary>Decodes types of a patch assembly; <c>molt</c> (the system module) is the kernel.</summary>
public sealed class SignatureTypes(string kernelAssembly, string patchAssembly) : ISignatureTypeProvider<SigType, object?>
{
    private static SigType Simple(string display, string cs, bool valueType) =>
        new(display, cs, display, null, true, valueType, false, false, []);

    public SigType GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode switch
    {
        PrimitiveTypeCode.Object => Simple("object", "object", false),
        PrimitiveTypeCode.String => Simple("string", "string", false),
        PrimitiveTypeCode.Boolean => Simple("bool", "bool", true),
        PrimitiveTypeCode.Char => Simple("char", "char", true),
        PrimitiveTypeCode.SByte => Simple("sbyte", "sbyte", true),
        PrimitiveTypeCode.Byte => Simple("byte", "byte", true),
        PrimitiveTypeCode.Int16 => Simple("short", "short", true),
        PrimitiveTypeCode.UInt16 => Simple("ushort", "ushort", true),
        PrimitiveTypeCode.Int32 => Simple("int", "int", true),
        PrimitiveTypeCode.UInt32 => Simple("uint", "uint", true),
        PrimitiveTypeCode.Int64 => Simple("long", "long", true),
        PrimitiveTypeCode.UInt64 => Simple("ulong", "ulong", true),
        PrimitiveTypeCode.Single => Simple("float", "float", true),
        PrimitiveTypeCode.Double => Simple("double", "double", true),
        PrimitiveTypeCode.IntPtr => Simple("nint", "nint", true),
        PrimitiveTypeCode.UIntPtr => Simple("nuint", "nuint", true),
        PrimitiveTypeCode.Void => Simple("void", "void", true),
        _ => Simple(typeCode.ToString(), typeCode.ToString(), true),
    };

    public SigType GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind)
    {
        TypeDefinition def = reader.GetTypeDefinition(handle);
        string ns = reader.GetString(def.Namespace), name = reader.GetString(def.Name);
        string metaName = ns.Length > 0 ? ns + "." + name : name;
        string cs, stemTail;
        if (def.GetDeclaringType() is { IsNil: false } outer)
        {
            SigType o = GetTypeFromDefinition(reader, outer, 0);
            metaName = o.DefinitionName + "/" + name;
            cs = o.CSharp + "." + CsName(name);
            stemTail = o.Stem + "_" + name.Replace('`', '_');
        }
        else
        {
            cs = "global::" + (ns.Length > 0 ? ns + "." : "") + CsName(name);
            string module = reader.GetString(reader.GetAssemblyDefinition().Name);
            stemTail = module + "_" + (ns.Length > 0 ? ns.Replace('.', '_') + "_" : "") + name.Replace('`', '_');
        }
        bool isKernel = reader.GetString(reader.GetAssemblyDefinition().Name) == kernelAssembly;
        bool valueType = rawTypeKind == (byte)SignatureTypeKind.ValueType || IsValueTypeDefinition(reader, def);
        return new(Display(metaName), cs, stemTail, metaName, isKernel, valueType, name.Contains('`'), false, []);
    }

    public SigType GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind)
    {
        TypeReference r = reader.GetTypeReference(handle);
        string ns = reader.GetString(r.Namespace), name = reader.GetString(r.Name);
        string metaName, cs, stem;
        bool isKernel;
        if (r.ResolutionScope.Kind == HandleKind.TypeReference)
        {
            SigType o = GetTypeFromReference(reader, (TypeReferenceHandle)r.ResolutionScope, 0);
            metaName = o.DefinitionName + "/" + name;
            cs = o.CSharp + "." + CsName(name);
            stem = o.Stem + "_" + name.Replace('`', '_');
            isKernel = o.IsKernel;
        }
        else
        {
            string module = r.ResolutionScope.Kind == HandleKind.AssemblyReference
                ? reader.GetString(reader.GetAssemblyReference((AssemblyReferenceHandle)r.ResolutionScope).Name)
                : patchAssembly;
            isKernel = module == kernelAssembly;
            metaName = ns.Length > 0 ? ns + "." + name : name;
            cs = "global::" + (ns.Length > 0 ? ns + "." : "") + CsName(name);
            stem = module + "_" + (ns.Length > 0 ? ns.Replace('.', '_') + "_" : "") + name.Replace('`', '_');
        }
        bool valueType = rawTypeKind == (byte)SignatureTypeKind.ValueType;
        return new(Display(metaName), cs, stem, metaName, isKernel, valueType, name.Contains('`'), false, []);
    }

    public SigType GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
        reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);

    public SigType GetGenericInstantiation(SigType genericType, ImmutableArray<SigType> typeArguments)
    {
        string baseDisplay = genericType.Display, baseCs = genericType.CSharp;
        int tick = baseCs.LastIndexOf('`');
        if (tick >= 0) baseCs = baseCs[..tick];
        int dtick = baseDisplay.LastIndexOf('`');
        if (dtick >= 0) baseDisplay = baseDisplay[..dtick];
        return genericType with
        {
            Display = baseDisplay + "<" + string.Join(", ", typeArguments.Select(a => a.Display)) + ">",
            CSharp = baseCs + "<" + string.Join(", ", typeArguments.Select(a => a.CSharp)) + ">",
            IsGeneric = true,
            Arguments = typeArguments,
        };
    }

    public SigType GetSZArrayType(SigType elementType) =>
        new(elementType.Display + "[]", elementType.CSharp + "[]", "array", null, elementType.IsKernel, false, false, elementType.IsGenericParameter, []);

    public SigType GetArrayType(SigType elementType, ArrayShape shape) =>
        new(elementType.Display + "[" + new string(',', shape.Rank - 1) + "]", elementType.CSharp + "[" + new string(',', shape.Rank - 1) + "]",
            "array", null, elementType.IsKernel, false, false, elementType.IsGenericParameter, []);

    public SigType GetByReferenceType(SigType elementType) => elementType with { Display = "ref " + elementType.Display, IsValueType = true };
    public SigType GetPointerType(SigType elementType) => Simple(elementType.Display + "*", elementType.CSharp + "*", true);
    public SigType GetFunctionPointerType(MethodSignature<SigType> signature) => Simple("delegate*", "delegate*", true);
    public SigType GetGenericMethodParameter(object? genericContext, int index) =>
        new("!!" + index, "!!" + index, "", null, false, false, false, true, []);
    public SigType GetGenericTypeParameter(object? genericContext, int index) =>
        new("!" + index, "!" + index, "", null, false, false, false, true, []);
    public SigType GetModifiedType(SigType modifier, SigType unmodifiedType, bool isRequired) => unmodifiedType;
    public SigType GetPinnedType(SigType elementType) => elementType;

    private static bool IsValueTypeDefinition(MetadataReader reader, TypeDefinition def)
    {
        if (def.BaseType.IsNil) return false;
        string? baseName = def.BaseType.Kind switch
        {
            HandleKind.TypeReference => FullName(reader, reader.GetTypeReference((TypeReferenceHandle)def.BaseType)),
            HandleKind.TypeDefinition => FullName(reader, reader.GetTypeDefinition((TypeDefinitionHandle)def.BaseType)),
            _ => null,
        };
        return baseName is "System.ValueType" or "System.Enum";
    }

    private static string FullName(MetadataReader r, TypeReference t) =>
        r.GetString(t.Namespace) is { Length: > 0 } ns ? ns + "." + r.GetString(t.Name) : r.GetString(t.Name);

    private static string FullName(MetadataReader r, TypeDefinition t) =>
        r.GetString(t.Namespace) is { Length: > 0 } ns ? ns + "." + r.GetString(t.Name) : r.GetString(t.Name);

    private static string CsName(string metadataName)
    {
        int tick = metadataName.IndexOf('`');
        return tick >= 0 ? metadataName[..tick] + "`" : metadataName; // the tick is cut when type arguments are added
    }

    private static string Display(string metaName) => metaName.Replace('/', '.');
}
