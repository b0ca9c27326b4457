package vswitchd

import (
	"reflect"

	"github.com/ovn-org/libovsdb/model"
)

// Not generated. libovsdb copies a cached row on every read and every
// monitor update (model.Clone), through encoding/json unless the model
// copies itself: at a lab of a thousand ports per bridge those copies
// were a tenth of a no-op up's CPU. The tables ovslab monitors copy
// themselves here by reflection, which does not care which columns the
// generator emitted.

func (m *OpenvSwitch) CloneModel() model.Model      { return cloneRow(m) }
func (m *OpenvSwitch) CloneModelInto(d model.Model) { copyRow(d, m) }
func (m *Bridge) CloneModel() model.Model           { return cloneRow(m) }
func (m *Bridge) CloneModelInto(d model.Model)      { copyRow(d, m) }
func (m *Port) CloneModel() model.Model             { return cloneRow(m) }
func (m *Port) CloneModelInto(d model.Model)        { copyRow(d, m) }
func (m *Interface) CloneModel() model.Model        { return cloneRow(m) }
func (m *Interface) CloneModelInto(d model.Model)   { copyRow(d, m) }
func (m *QoS) CloneModel() model.Model              { return cloneRow(m) }
func (m *QoS) CloneModelInto(d model.Model)         { copyRow(d, m) }

// cloneRow is a deep copy of the row m points to.
func cloneRow[T any](m *T) *T {
	c := new(T)
	copyRow(c, m)
	return c
}

// copyRow deep-copies the row src points to into the one dst points to,
// which must be of the same type.
func copyRow(dst, src any) {
	reflect.ValueOf(dst).Elem().Set(deepCopy(reflect.ValueOf(src).Elem()))
}

// deepCopy returns v with every map, slice and pointer in it made anew,
// as a round trip through JSON would (nil stays nil, empty stays empty).
func deepCopy(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		c := reflect.New(v.Type().Elem())
		c.Elem().Set(deepCopy(v.Elem()))
		return c
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			c.Index(i).Set(deepCopy(v.Index(i)))
		}
		return c
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			c.SetMapIndex(deepCopy(it.Key()), deepCopy(it.Value()))
		}
		return c
	case reflect.Struct:
		c := reflect.New(v.Type()).Elem()
		for i := range v.NumField() {
			c.Field(i).Set(deepCopy(v.Field(i)))
		}
		return c
	}
	return v
}
