namespace Molt.Update
{
    /// <summary>
    /// A factory whose representatives own nothing but themselves, need no
    /// self-check and offer no adapters: the defaults kernel classes use. A
    /// patch derives from <see cref="UpdatableFactory"/> itself and writes
    /// all of its members (patch rule: override only abstract members).
    /// </summary>
    public abstract class BasicFactory : UpdatableFactory
    {
        public override bool SelfCheck(object representative) => true;
        public override object CreateAdapter(InterfaceKey interfaceType, object representative) => null;
        public override void ReleaseRepresentative(object representative) { }
    }
}
