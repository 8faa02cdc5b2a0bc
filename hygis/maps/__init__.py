"""Interactive folium maps of the plan: the plan map, thematic maps, big layers."""
